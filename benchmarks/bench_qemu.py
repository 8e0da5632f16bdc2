"""Speed of the real-migration harness and of the model-vs-QEMU comparison.

Prints: the guest build (cold, into a temp cache), one small real migration end to end (QEMU
start-up, the guest's fill, the migration, the memory check, clean-up), and ``compare()`` over the
shipped measurements (one ``precopy`` per run). Skips the QEMU parts when QEMU is missing.
Usage, from the repository root::

    .venv/bin/python benchmarks/bench_qemu.py
"""

from __future__ import annotations

import os
import tempfile
import time

from vmlab.qemu import build_guest, missing_tools, run_migration
from vmlab.qemu.compare import compare
from vmlab.qemu.grid import load_measurements


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    missing = missing_tools()
    if missing:
        print("QEMU parts skipped: " + "; ".join(missing))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            build_guest(cache_dir=tmp)
            print(f"guest build (cold):                      {time.perf_counter() - t:6.2f} s")
        for ws in (0, 4):
            t = time.perf_counter()
            run = run_migration(memory_mib=128, fill_mib=32, working_set_mib=ws, max_bandwidth_mib_s=32)
            wall = time.perf_counter() - t
            print(f"one migration, 128 MiB guest, ws {ws} MiB: {wall:6.2f} s wall "
                  f"(QEMU total-time {run.total_time_s:.2f} s, boot+fill {run.boot_fill_s:.2f} s)")
    data = load_measurements()
    t = time.perf_counter()
    compare(data)
    print(f"compare() over {len(data)} measured runs:      {time.perf_counter() - t:6.2f} s")


if __name__ == "__main__":
    main()
