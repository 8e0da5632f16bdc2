"""How many pre-copy scenarios per second: vectorised ``precopy_grid`` against a loop over ``precopy``.

For each workload, a dirty-rate x bandwidth grid (default 1000 x 1000 = one million scenarios)
is evaluated in one ``precopy_grid`` call, and a seeded random sample of the same scenarios
through a Python loop over the scalar ``precopy``. Both are timed with wall time
(``time.perf_counter``) and CPU time (``time.process_time``): on a shared machine the wall
time also counts the time other processes held the CPU, so the CPU figures are the fairer
ones. The goal is at least a million scenarios per second and a 100x speed-up over the loop.
The loop's rows are checked against the grid's (they must agree).

Prints (never asserts). Run: python benchmarks/bench_precopy.py [--size 1000] [--loop 300]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from vmlab import VM, Link, PrecopyPolicy, precopy, precopy_grid


def _workloads():
    """name -> (VM, policy, share of the grid side used).

    Uniform writes have no closed-form jump over shrinking rounds (the engine steps round by
    round, up to hundreds of rounds near the boundary), so that workload runs on a third of
    the grid side (a ninth of the scenarios) to keep the benchmark short.
    """
    return {
        "QEMU, working set 1 GiB": (VM(memory_mib=4096, wws_mib=1024, zero_fraction=0.2), PrecopyPolicy.qemu(), 1.0),
        "Xen legacy, working set 1 GiB": (VM(memory_mib=4096, wws_mib=1024, zero_fraction=0.2), PrecopyPolicy.xen_legacy(), 1.0),
        "QEMU, constant rate (textbook)": (VM(memory_mib=4096, dirty_pattern="constant"), PrecopyPolicy.qemu(), 1.0),
        "QEMU, uniform writes": (VM(memory_mib=4096, wws_mib=2048, dirty_pattern="uniform", zero_fraction=0.2),
                                 PrecopyPolicy.qemu(), 1 / 3),
    }


def _clock(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def run(size: int, loop: int, seed: int = 1) -> list[dict]:
    rows = []
    for name, (vm, policy, share) in _workloads().items():
        side = max(2, round(size * share))
        rates = np.linspace(0.0, 400.0, side)  # MiB/s dirtied
        bandwidths = np.linspace(10.0, 1250.0, side)  # 80 Mbit/s .. 10 Gbit/s
        D, B = np.meshgrid(rates, bandwidths)
        rng = np.random.default_rng(seed)
        pick = rng.choice(D.size, size=min(loop, D.size), replace=False)
        precopy_grid(vm=vm, policy=policy, dirty_rate_mib_s=D[:2, :2], bandwidth_mib_s=B[:2, :2])  # warm up
        grid, g_wall, g_cpu = _clock(lambda: precopy_grid(vm=vm, policy=policy, dirty_rate_mib_s=D, bandwidth_mib_s=B))

        def scalar_loop():
            out = []
            for i in pick:
                v = VM(memory_mib=vm.memory_mib, dirty_rate_mib_s=float(D.flat[i]), wws_mib=vm.wws_mib,
                       dirty_pattern=vm.dirty_pattern, zero_fraction=vm.zero_fraction)
                out.append(precopy(v, Link(bandwidth_mib_s=float(B.flat[i])), policy))
            return out

        scalars, l_wall, l_cpu = _clock(scalar_loop)
        sample = grid.iloc[pick]
        agree = all(
            (s.stop == g.stop and s.n_rounds == g.n_rounds and np.isclose(s.total_time_s, g.total_time_s)
             and (np.isclose(s.downtime_ms, g.downtime_ms) or (np.isnan(s.downtime_ms) and np.isnan(g.downtime_ms))))
            for s, g in zip(scalars, sample.itertuples(index=False))
        )
        rows.append({
            "workload": name,
            "scenarios": D.size,
            "grid wall s": g_wall,
            "grid cpu s": g_cpu,
            "grid /s (wall)": D.size / g_wall,
            "grid /s (cpu)": D.size / g_cpu,
            "loop /s (wall)": len(pick) / l_wall,
            "loop /s (cpu)": len(pick) / l_cpu,
            "speed-up (cpu)": (D.size / g_cpu) / (len(pick) / l_cpu),
            "converged %": 100 * grid["converged"].mean(),
            "agree": "yes" if agree else "NO",
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
    parser.add_argument("--loop", type=int, default=300, help="scenarios through the scalar loop (default 300)")
    args = parser.parse_args()
    print(f"precopy_grid over a {args.size} x {args.size} grid (dirty rate 0-400 MiB/s x bandwidth 10-1250 MiB/s)")
    print(f"against a Python loop over precopy() on {args.loop} scenarios sampled from the same grid (seed 1).")
    print("Goal: >= 1 million scenarios/s and >= 100x the loop. CPU time is the fair figure on a shared")
    print("machine (wall time includes waiting for the CPU); numbers from a busy machine are pessimistic.\n")
    rows = run(args.size, args.loop)
    print_table(rows)


if __name__ == "__main__":
    main()
