#!/usr/bin/env python3
"""Execute Jupyter notebooks headless with the Deno kernel and fail on any cell error.

Built on nbclient (Debian python3-nbclient). The Deno kernel sometimes sends a cell's output after it
has reported the cell idle; nbconvert and plain nbclient then drop that output silently. This runner
keeps reading the cell's late IOPub messages for ``--late`` seconds (default 0.3, the measured fix)
after idle before moving to the next cell.

Usage: run_notebooks.py NOTEBOOK... [--kernel deno] [--timeout 1800] [--late 0.3] [--out DIR]

Each notebook runs with its own folder as the working directory (so ``../mod.ts`` and deno.json
resolve) and inherits this process's environment (e.g. YOLO_NB_SMALL=1). Executed copies are written
to ``--out`` when given. Exit status 1 when a cell fails, 2 on bad usage.
"""
import argparse
import asyncio
import os
import queue
import sys
import time

try:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionComplete, CellExecutionError
except ImportError as e:  # pragma: no cover - depends on the machine
    sys.stderr.write(
        f"error: {e}. This runner needs nbclient and nbformat (Debian: apt-get install python3-nbclient "
        "jupyter-client; elsewhere: pip install nbclient). `deno task notebooks` installs them on Debian.\n"
    )
    sys.exit(2)


class LateOutputClient(NotebookClient):
    """NotebookClient that also collects a cell's IOPub messages arriving shortly after its idle status."""

    late_output: float = 0.3

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        await super()._async_poll_output_msg(parent_msg_id, cell, cell_index)
        # Drain messages for this cell until the channel stays quiet for `late_output` seconds.
        while True:
            try:
                msg = await self.kc.iopub_channel.get_msg(timeout=self.late_output)
            except (queue.Empty, asyncio.TimeoutError):
                return
            if msg["parent_header"].get("msg_id") != parent_msg_id:
                continue
            try:
                self.process_message(msg, cell, cell_index)
            except CellExecutionComplete:
                pass


def count_outputs(nb):
    return sum(len(c.get("outputs", [])) for c in nb.cells if c.cell_type == "code")


def run_one(path, args):
    nb = nbformat.read(path, as_version=4)
    client = LateOutputClient(
        nb,
        kernel_name=args.kernel,
        timeout=args.timeout,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
        allow_errors=False,
    )
    client.late_output = args.late
    t0 = time.monotonic()
    code_cells = sum(1 for c in nb.cells if c.cell_type == "code")
    try:
        client.execute()
        ok = True
    except CellExecutionError as e:
        ok = False
        sys.stderr.write(f"FAILED {path}:\n{e}\n")
    seconds = time.monotonic() - t0
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        nbformat.write(nb, os.path.join(args.out, os.path.basename(path)))
    status = "ok" if ok else "FAILED"
    print(f"{status} {path}: {code_cells} code cells, {count_outputs(nb)} outputs, {seconds:.1f} s", flush=True)
    return ok


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("notebooks", nargs="+")
    p.add_argument("--kernel", default="deno", help="kernel name (default deno)")
    p.add_argument("--timeout", type=int, default=1800, help="seconds per cell (default 1800)")
    p.add_argument("--late", type=float, default=0.3, help="seconds to keep reading late outputs after idle")
    p.add_argument("--out", help="folder for the executed copies")
    args = p.parse_args()
    missing = [n for n in args.notebooks if not os.path.isfile(n)]
    if missing:
        sys.stderr.write(f"error: expected notebook files, cannot find {', '.join(missing)}\n")
        return 2
    results = [run_one(n, args) for n in args.notebooks]
    failed = results.count(False)
    print(f"{len(results) - failed} notebooks passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
