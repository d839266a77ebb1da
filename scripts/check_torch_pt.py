"""Check a `deno task export --format pt` checkpoint with PyTorch (Debian's python3-torch).

    python3 scripts/check_torch_pt.py CKPT.pt EXPECTED.safetensors

Loads CKPT with torch.load(weights_only=True) (plain data only: no pickled classes), checks the layout
({'model', 'ema': OrderedDicts of plain tensors, 'epoch': int, 'best_fitness', 'yaml': a model config as
text}) and compares every tensor of 'model' and 'ema' with EXPECTED (a safetensors file, read here with json
+ numpy): the same names, dtype, shape and values exactly. Prints one JSON line of what it found; exits 1 on
any difference.
"""
import collections
import json
import struct
import sys

import numpy as np
import torch
import yaml

DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    body = data[8 + n :]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        out[name] = np.frombuffer(body[a:b], dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
    return out


def main(ckpt_path, expected_path):
    problems = []
    ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True)
    want = read_safetensors(expected_path)
    if not isinstance(ckpt, dict):
        problems.append(f"checkpoint is a {type(ckpt).__name__}, expected a dict")
        ckpt = {}
    for key, typ in [("epoch", int), ("yaml", str)]:
        if not isinstance(ckpt.get(key), typ):
            problems.append(f"{key} is {type(ckpt.get(key)).__name__}, expected {typ.__name__}")
    cfg = yaml.safe_load(ckpt.get("yaml") or "")
    # What the official parse_model reads: anchors, nc, depth_multiple, width_multiple, backbone + head rows.
    keys = {"anchors": int, "nc": int, "depth_multiple": (int, float), "width_multiple": (int, float), "backbone": list,
            "head": list}
    if not (isinstance(cfg, dict) and all(isinstance(cfg.get(k), t) for k, t in keys.items())):
        problems.append(f"yaml is not a model config with {', '.join(keys)}")
    bf = ckpt.get("best_fitness")
    if bf is not None and not (isinstance(bf, torch.Tensor) and bf.dim() == 0):
        problems.append(f"best_fitness is {type(bf).__name__}, expected None or a 0-d tensor")
    compared = 0
    for part in ["model", "ema"]:
        sd = ckpt.get(part)
        if not isinstance(sd, collections.OrderedDict):
            problems.append(f"{part} is {type(sd).__name__}, expected an OrderedDict state_dict")
            continue
        if set(sd) != set(want):
            missing = sorted(set(want) - set(sd))[:5]
            extra = sorted(set(sd) - set(want))[:5]
            problems.append(f"{part}: keys differ (missing {missing}, unexpected {extra})")
        for name, t in sd.items():
            if type(t) is not torch.Tensor:
                problems.append(f"{part}.{name} is {type(t).__name__}, expected a plain torch.Tensor")
                continue
            if name not in want:
                continue
            w = torch.from_numpy(want[name].copy())
            if t.dtype != w.dtype or tuple(t.shape) != tuple(w.shape) or not torch.equal(t, w):
                problems.append(f"{part}.{name}: {t.dtype}{list(t.shape)} differs from expected {w.dtype}{list(w.shape)}")
            compared += 1
    print(json.dumps({"torch": torch.__version__, "tensors_compared": compared, "epoch": ckpt.get("epoch"),
                      "best_fitness": None if bf is None else float(bf), "yaml_rows": len(cfg.get("backbone", [])) if isinstance(cfg, dict) else 0,
                      "problems": problems[:20]}))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
