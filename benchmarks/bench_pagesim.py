"""Speed of the page-level simulator on a 64 GiB guest (16 M pages): goal < 2 s on one core.

Run: ``python benchmarks/bench_pagesim.py``. Prints the best and median of a few repeats for
a converging migration, a slowly converging one with a hot/cold mix, and one that never
converges (tens of rounds until the timeout), plus the analytic model for scale. Timings on
a busy shared machine are pessimistic; the script prints the load average next to them.
It prints and never asserts (CONTRIBUTING: benchmarks print, tests assert).
"""

from __future__ import annotations

import os
import statistics
import time

from vmlab import VM, Link, PrecopyPolicy
from vmlab.migration.autoconverge import run_rounds
from vmlab.migration.pagesim import analytic_mix, simulate_pages


def _time(fn, repeats: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), result


def main(repeats: int = 5) -> None:
    link = Link(bandwidth_mib_s=1192.0)  # 10 Gbit/s
    uncapped = PrecopyPolicy.qemu(max_bandwidth_mib_s=None)
    cases = [
        ("64 GiB, 300 MiB/s into 16 GiB, 90/10 hot mix", VM(memory_mib=65536, dirty_rate_mib_s=300, wws_mib=16384), uncapped, 0.1, 0.9),
        ("64 GiB, 800 MiB/s uniform over 32 GiB", VM(memory_mib=65536, dirty_rate_mib_s=800, wws_mib=32768), uncapped, 0.5, 0.5),
        ("64 GiB, 3000 MiB/s into 8 GiB (never converges, 600 s)", VM(memory_mib=65536, dirty_rate_mib_s=3000, wws_mib=8192), uncapped, 0.1, 0.9),
    ]
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (busy machine: numbers are pessimistic)")
    for label, vm, policy, f, s in cases:
        best, median, r = _time(lambda: simulate_pages(vm, link, policy, hot_fraction=f, hot_write_share=s, seed=1), repeats)
        a_best, _, _ = _time(lambda: run_rounds(vm, link, policy, dirty=analytic_mix(vm, hot_fraction=f, hot_write_share=s)), repeats)
        print(f"{label}: {r.n_pages:,} pages, {r.n_rounds} rounds, {r.stop}; "
              f"page simulator best {best:.3f} s, median {median:.3f} s (analytic loop {a_best * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
