"""How many pre-copy scenarios per second: ``precopy_grid`` against two baselines measured in the same run.

For each workload a dirty-rate x bandwidth grid (default 1000 x 1000 = one million scenarios) is
evaluated in one ``precopy_grid`` call. Two baselines run on a seeded random sample of the same
scenarios:

- **per-round engine**: the same vectorised engine with its accelerations switched off
  (``accelerate=False``: no closed-form jumps, no lean loop for uniform writes), i.e. every
  round of every scenario iterated, as the engine did before the closed forms;
- **Python loop**: the scalar ``precopy()`` called once per scenario.

Goals: >= 5 million scenarios/s on one core for the working-set and
constant-rate patterns, >= 1 million/s for uniform writes. Times are CPU time
(``time.process_time``), best of ``--repeat`` runs: on a shared machine wall time also counts the
time other processes held the CPU. The sample rows must agree: same stop and rounds as the
per-round engine and as ``precopy()``.

Prints (never asserts). Run: python benchmarks/bench_precopy.py [--size 1000] [--sample 20000] [--loop 300]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from vmlab import VM, Link, PrecopyPolicy, precopy, precopy_grid
from vmlab.migration import _engine, _rules


def _workloads():
    """name -> (VM, policy)."""
    return {
        "QEMU, working set 1 GiB": (VM(memory_mib=4096, wws_mib=1024, zero_fraction=0.2), PrecopyPolicy.qemu()),
        "Xen legacy, working set 1 GiB": (VM(memory_mib=4096, wws_mib=1024, zero_fraction=0.2), PrecopyPolicy.xen_legacy()),
        "QEMU, constant rate (textbook)": (VM(memory_mib=4096, dirty_pattern="constant"), PrecopyPolicy.qemu()),
        "QEMU, uniform writes": (VM(memory_mib=4096, wws_mib=2048, dirty_pattern="uniform", zero_fraction=0.2),
                                 PrecopyPolicy.qemu()),
    }


def _cpu(fn, repeat: int = 1):
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.process_time()
        out = fn()
        best = min(best, time.process_time() - start)
    return out, best


def run(size: int, sample: int, loop: int, repeat: int, seed: int = 1) -> list[dict]:
    rows = []
    for name, (vm, policy) in _workloads().items():
        rates = np.linspace(0.0, 400.0, size)  # MiB/s dirtied
        bandwidths = np.linspace(10.0, 1250.0, size)  # 80 Mbit/s .. 10 Gbit/s
        D, B = np.meshgrid(rates, bandwidths)
        rng = np.random.default_rng(seed)
        pick = rng.choice(D.size, size=min(sample, D.size), replace=False)
        precopy_grid(vm=vm, policy=policy, dirty_rate_mib_s=D[:2, :2], bandwidth_mib_s=B[:2, :2])  # warm up
        grid, g_cpu = _cpu(lambda: precopy_grid(vm=vm, policy=policy, dirty_rate_mib_s=D, bandwidth_mib_s=B), repeat)

        inp = dict(_rules.inputs(vm, Link(), policy))
        inp.update(rate=D.ravel()[pick], bandwidth_mib_s=B.ravel()[pick])
        ref, r_cpu = _cpu(lambda: _engine.simulate_many(inp, accelerate=False))

        few = pick[:loop]

        def scalar_loop():
            return [precopy(vm.replace(dirty_rate_mib_s=float(D.flat[i])), Link(bandwidth_mib_s=float(B.flat[i])), policy)
                    for i in few]

        scalars, l_cpu = _cpu(scalar_loop)
        g_code = grid["stop"].cat.codes.to_numpy()
        g_rounds = grid["n_rounds"].to_numpy()
        agree_ref = bool(np.array_equal(g_code[pick], ref["code"]) and np.array_equal(g_rounds[pick], ref["n_rounds"]))
        agree_loop = all(s.stop == grid["stop"].iat[i] and s.n_rounds == g_rounds[i] for s, i in zip(scalars, few))
        grid_rate = D.size / g_cpu
        ref_rate = len(pick) / r_cpu
        loop_rate = len(few) / l_cpu
        rows.append({
            "workload": name,
            "scenarios": D.size,
            "grid cpu s": g_cpu,
            "grid /s": grid_rate,
            "per-round /s": ref_rate,
            "loop /s": loop_rate,
            "x per-round": grid_rate / ref_rate,
            "x loop": grid_rate / loop_rate,
            "mean rounds": float(g_rounds.mean()),
            "converged %": 100 * grid["converged"].mean(),
            "agree": "yes" if (agree_ref and agree_loop) else "NO",
        })
    return rows


def _fmt(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, np.integer)):
        return f"{value:,}"
    if value >= 1e5:
        return f"{value / 1e6:.2f} M"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}"


def print_table(rows: list[dict]) -> None:
    headers = list(rows[0])
    cells = [[_fmt(r[h]) for h in headers] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths)))
    print(line)
    print("-" * len(line))
    for c in cells:
        print("  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(c, widths))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000, help="grid side: size x size scenarios (default 1000)")
    parser.add_argument("--sample", type=int, default=20000, help="scenarios through the per-round engine (default 20000)")
    parser.add_argument("--loop", type=int, default=300, help="scenarios through the precopy() loop (default 300)")
    parser.add_argument("--repeat", type=int, default=3, help="grid runs, the best counts (default 3)")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"precopy_grid over a {args.size} x {args.size} grid (dirty rate 0-400 MiB/s x bandwidth 10-1250 MiB/s),")
    print(f"against the per-round engine on {args.sample} and a precopy() loop on {args.loop} scenarios sampled")
    print("from the same grid (seed 1). Goal: >= 5 M/s (working set, constant rate), >= 1 M/s (uniform).")
    print(f"CPU time, best of {args.repeat}; load average {load:.2f} on {os.cpu_count()} cores "
          "(a busy machine gives pessimistic numbers).\n")
    print_table(run(args.size, args.sample, args.loop, args.repeat))


if __name__ == "__main__":
    main()
