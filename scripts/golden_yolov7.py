"""Reference data for the anchor-based YOLOv7 (tests/fixtures/yolov7/), from the official PyTorch code.

Usage: /usr/bin/python3 scripts/golden_yolov7.py <checkout of github.com/WongKinYiu/yolov7> tests/fixtures/yolov7

Needs Debian's python3-torch and python3-yaml only: the official modules' imports of packages that the
model and loss code never call (pandas, cv2, torchvision, ...) are satisfied by empty stand-ins.
Writes, with a JSON sidecar each:
  forward.safetensors  a width/16 yolov7.yaml (nc 3; its P3 RepConv 8 -> 8 channels, so with the BN
                       identity branch) with random weights and BatchNorm statistics, a
                       2x3x64x96 input, the raw IDetect outputs (eval), the decoded output (eval), the
                       decoded output of the fused model, and the parameter counts;
  loss.safetensors     random raw outputs of a 2-image 128x128 batch, hand-placed targets,
                       ComputeLossOTA's loss, loss items and the gradients of the loss w.r.t. the outputs.
Layouts: images NCHW; head outputs in this project's NHWC [B, H, W, na * (5 + nc)]; decoded [B, A, 5 + nc]
as the official head returns it; weights in the official state_dict names and shapes (without the
anchors / anchor_grid buffers).
"""
import importlib.abc
import importlib.machinery
import json
import os
import struct
import sys
import types
from copy import deepcopy

STUBS = ("pandas", "requests", "cv2", "PIL", "torchvision", "matplotlib", "seaborn", "scipy", "tqdm", "thop", "pycocotools")


class _Anything:
    def __init__(self, *a, **k): pass
    def __call__(self, *a, **k): return _Anything()
    def __getattr__(self, k): return _Anything()
    def __iter__(self): return iter(())
    def __mro_entries__(self, bases): return (object,)


class _Stub(types.ModuleType):
    def __getattr__(self, k):
        if k.startswith("__"):
            raise AttributeError(k)
        return _Anything()


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in STUBS:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
    def create_module(self, spec):
        m = _Stub(spec.name)
        m.__path__ = []
        return m
    def exec_module(self, m): pass


def save(path, tensors, meta):
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        dtype = {"torch.float32": "F32", "torch.int64": "I64"}[str(t.dtype)]
        data = t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    header["__metadata__"] = {"source": "scripts/golden_yolov7.py"}
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path + ".safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    with open(path + ".json", "w") as f:
        json.dump(meta, f, indent=1)


def nhwc(x):  # official (B, na, ny, nx, no) -> (B, ny, nx, na * no)
    b, na, ny, nx, no = x.shape
    return x.permute(0, 2, 3, 1, 4).reshape(b, ny, nx, na * no).contiguous()


def small_cfg(path, nc):
    import yaml
    d = yaml.safe_load(open(path))
    rows = d["backbone"] + d["head"]
    for row in rows:
        if row[2] in ("Conv", "SPPCSPC", "RepConv"):
            row[3][0] = max(8, -(-row[3][0] // 16 // 8) * 8)
    # The P3 RepConv as wide as its input (8 -> 8, stride 1): it gets the BatchNorm identity branch.
    rows[102][3][0] = rows[75][3][0]
    d["nc"] = nc
    return d


def main(repo, out):
    sys.meta_path.insert(0, _Finder())
    sys.path.insert(0, repo)
    os.chdir(repo)
    import torch
    from models.yolo import Model
    from utils.loss import ComputeLossOTA
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    cfg = small_cfg("cfg/training/yolov7.yaml", 3)
    model = Model(deepcopy(cfg))
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    model.eval()
    x = torch.rand(2, 3, 64, 96)
    with torch.no_grad():
        decoded, raw = model(x)
        fused = deepcopy(model).fuse()
        decoded_fused, _ = fused(x)
    n_params = sum(p.numel() for p in model.parameters())
    n_fused = sum(p.numel() for p in fused.parameters())
    sd = {k: v for k, v in model.state_dict().items() if not k.endswith(("anchors", "anchor_grid"))}
    tensors = {f"weights.{k}": v.float() if v.is_floating_point() else v for k, v in sd.items()}
    tensors["input"] = x
    tensors["out.decoded"] = decoded
    tensors["out.decoded_fused"] = decoded_fused
    for i, r in enumerate(raw):
        tensors[f"out.raw.{i}"] = nhwc(r)
    save(f"{out}/forward", tensors, {
        "case": "yolov7_forward", "config": cfg, "params": n_params, "params_fused_official": n_fused,
        "note": "params_fused_official counts the ImplicitA/M parameters that IDetect.fuse leaves in the module",
    })

    # Loss: random raw outputs of a 128x128 batch; the hyp gains of hyp.scratch.p5 scaled as train.py does.
    det = model.model[-1]
    nl, nc, img = det.nl, det.nc, 128
    hyp = {"box": 0.05 * 3 / nl, "cls": 0.3 * nc / 80 * 3 / nl, "obj": 0.7 * (img / 640) ** 2 * 3 / nl,
           "cls_pw": 1.0, "obj_pw": 1.0, "fl_gamma": 0.0, "anchor_t": 4.0}
    model.hyp, model.gr = hyp, 1.0
    loss_fn = ComputeLossOTA(model)
    g = torch.Generator().manual_seed(1)
    p = [torch.randn(2, det.na, img // int(s), img // int(s), nc + 5, generator=g).mul_(1.5).requires_grad_()
         for s in det.stride]
    targets = torch.tensor([
        [0, 0, 0.30, 0.40, 0.10, 0.14], [0, 2, 0.62, 0.55, 0.35, 0.30], [0, 1, 0.50, 0.52, 0.70, 0.80],
        [0, 1, 0.12, 0.80, 0.06, 0.05], [1, 2, 0.45, 0.30, 0.22, 0.40], [1, 0, 0.80, 0.75, 0.28, 0.20],
        [1, 1, 0.33, 0.66, 0.55, 0.50], [1, 2, 0.50, 0.50, 0.95, 0.90], [0, 0, 0.55, 0.45, 0.90, 0.85],
    ])
    loss, items = loss_fn(p, targets, torch.zeros(2, 3, img, img))
    grads = torch.autograd.grad(loss.sum(), p)
    tensors = {"targets": targets, "loss": loss.detach().reshape(1), "items": items}
    for i, (pi, gi) in enumerate(zip(p, grads)):
        tensors[f"pred.{i}"] = nhwc(pi.detach())
        tensors[f"grad.{i}"] = nhwc(gi)
    save(f"{out}/loss", tensors, {
        "case": "yolov7_loss", "anchors": cfg["anchors"], "strides": det.stride.tolist(), "nc": nc, "img": img,
        "gains": {k: hyp[k] for k in ("box", "obj", "cls")},
        "items": "[box, obj, cls, total / batch]", "loss": "total = (box + obj + cls) x batch",
    })


if __name__ == "__main__":
    main(os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]))
