"""How many cases per minute ``vmlab sweep`` runs: serial against ``--workers 2`` and ``--workers 4``.

Each case starts a fresh kernel, runs a small notebook and shuts the kernel down; for short
notebooks the kernel start-up is most of a case, and much of it is waiting, so more workers than
cores still help. The target is >= 1.8x the serial rate with extra workers on 2 cores.

    .venv/bin/python benchmarks/bench_sweep.py                  # the demo notebook, 12 cases
    .venv/bin/python benchmarks/bench_sweep.py --cases 24 --workers 1 2 4 8
    .venv/bin/python benchmarks/bench_sweep.py --notebook notebooks/01_live_migration.ipynb \\
        --parameter DIRTY_RATE_MIB_S --values 0 20 40 60

One warm-up case runs first (it starts the worker process server, which imports papermill once,
about 3 s of CPU), so the rates below are the steady rate of a sweep; a fresh ``vmlab sweep``
command pays that start-up once more. The load average is printed: numbers from a busy machine
are pessimistic. Prints, never asserts.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from vmlab.sweep import Grid, run_sweep, write_demo_notebook


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=12, help="cases per configuration (demo notebook)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="worker counts to compare")
    parser.add_argument("--notebook", help="benchmark this notebook instead of the demo")
    parser.add_argument("--parameter", default="MEMORY_MIB", help="the parameter to vary (with --notebook)")
    parser.add_argument("--values", nargs="+", type=float, help="its values (default: --cases values)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="vmlab-bench-") as tmp:
        root = Path(tmp)
        notebook = Path(args.notebook) if args.notebook else write_demo_notebook(root / "demo.ipynb")
        values = args.values or [1024.0 + 64.0 * i for i in range(args.cases)]
        grid = Grid(axes={args.parameter: values}, source="bench")
        print(f"notebook {notebook.name}, {len(values)} cases per run, {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.2f} at start")

        start = time.perf_counter()
        run_sweep(notebook, Grid(axes={args.parameter: values[:1]}, source="warm-up"), root / "warm",
                  workers=1, progress=False, echo=None)
        print(f"warm-up (worker server start + 1 case): {time.perf_counter() - start:.1f} s")

        rows = []
        for n in args.workers:
            start = time.perf_counter()
            summary = run_sweep(notebook, grid, root / f"w{n}", workers=n, progress=False, echo=None)
            elapsed = time.perf_counter() - start
            if summary.failed:
                print(f"warning: {summary.failed} cases failed with {n} workers")
            rate = 60.0 * summary.ran / elapsed
            rows.append((n, elapsed, rate))
            print(f"  --workers {n}: {summary.ran} cases in {elapsed:6.1f} s = {rate:5.1f} cases/min "
                  f"(load average {os.getloadavg()[0]:.2f})", flush=True)

        base = next((rate for n, _, rate in rows if n == 1), rows[0][2])
        print("\nworkers  seconds  cases/min  speed-up vs serial")
        for n, elapsed, rate in rows:
            print(f"{n:7d}  {elapsed:7.1f}  {rate:9.1f}  {rate / base:6.2f}x")
        best = max(rate / base for _, _, rate in rows)
        print(f"best speed-up {best:.2f}x (goal >= 1.8x); load average now {os.getloadavg()[0]:.2f} "
              f"on {os.cpu_count()} CPUs" + ("  [busy machine: pessimistic]" if os.getloadavg()[0] > (os.cpu_count() or 1) else ""))


if __name__ == "__main__":
    main()
