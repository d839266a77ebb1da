#!/usr/bin/env python3
"""PyTorch reference for `deno task bench ops`: the same convolutions (channels-last, float32),
forward and forward + backward (input and weight gradients for a given output gradient), median over
runs after warm-up. Needs Debian's python3-torch; `--threads N` (default 2). Prints the same rows."""
import argparse
import json
import time

import torch

SHAPES = [(1, 80, 80, 64, 3, 64, 1), (1, 160, 160, 32, 3, 64, 2), (1, 80, 80, 128, 1, 128, 1), (4, 40, 40, 128, 3, 128, 1)]


def timed(f, runs):
    for _ in range(3):
        f()
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    ts.sort()
    return ts[len(ts) // 2], ts[0], ts[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    rows = []
    for n, h, w, c, k, o, s in SHAPES:
        x = torch.rand(n, c, h, w).to(memory_format=torch.channels_last)
        conv = torch.nn.Conv2d(c, o, k, s, k // 2, bias=False).to(memory_format=torch.channels_last)
        with torch.no_grad():
            y = conv(x)
        dy = torch.rand_like(y)
        flops = 2 * y.numel() * c * k * k
        xr = x.clone().requires_grad_()

        def fwd():
            with torch.no_grad():
                conv(x)

        def fwd_bwd():
            conv.weight.grad = None
            xr.grad = None
            conv(xr).backward(dy)

        label = f"conv{k}x{k} s{s} [{n},{h},{w},{c}]->{o}"
        for mode, f, fl in (("fwd", fwd, flops), ("fwd+bwd", fwd_bwd, 3 * flops)):
            m, lo, hi = timed(f, a.runs)
            rows.append({"model": label, "op": "conv2d", "mode": mode, "median_s": m, "min_s": lo, "max_s": hi,
                         "runs": a.runs, "gflops_per_s": round(fl / m / 1e9, 1)})
            if not a.json:
                print(f"{label:30} {mode:7} median {m * 1e3:.2f} ms (min {lo * 1e3:.2f}, max {hi * 1e3:.2f}, "
                      f"{a.runs} runs) {rows[-1]['gflops_per_s']} GFLOP/s")
    if a.json:
        print(json.dumps({"backend": f"pytorch {torch.__version__} ({a.threads} threads)", "results": rows}))


if __name__ == "__main__":
    main()
