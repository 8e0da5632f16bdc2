"""``python -m vmlab.qemu``: check the set-up, run one migration, or measure a grid.

    python -m vmlab.qemu check
    python -m vmlab.qemu run --memory-mib 128 --fill-mib 64 --working-set-mib 8 \\
        --max-bandwidth-mib-s 64 --downtime-limit-ms 300
    python -m vmlab.qemu grid --out data/qemu_migrations.csv          # the shipped grid
    python -m vmlab.qemu grid --out my.csv --only-kind boundary --repeats 3
"""

from __future__ import annotations

import argparse
import json
import sys

from vmlab.qemu.grid import run_grid, standard_grid
from vmlab.qemu.harness import missing_tools, qemu_version, run_migration


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vmlab.qemu", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="say whether QEMU and gcc -m32 are ready")
    run = sub.add_parser("run", help="run and measure one live migration; print its row as JSON")
    run.add_argument("--memory-mib", type=int, default=128)
    run.add_argument("--fill-mib", type=int, default=64)
    run.add_argument("--working-set-mib", type=int, default=0)
    run.add_argument("--dirty-rate-mib-s", type=float, default=None, help="pace the guest (default: unpaced)")
    run.add_argument("--max-bandwidth-mib-s", type=float, default=32.0)
    run.add_argument("--downtime-limit-ms", type=float, default=300.0)
    run.add_argument("--timeout-s", type=float, default=20.0)
    run.add_argument("--samples", action="store_true", help="also print the 100 ms query-migrate samples")
    grid = sub.add_parser("grid", help="measure the standard grid into a CSV (appends, resumable)")
    grid.add_argument("--out", required=True, help="CSV file to append to")
    grid.add_argument("--only-kind", choices=["idle", "hot", "boundary", "paced"], default=None)
    grid.add_argument("--cases", default=None, help="comma-separated case_ids to run (default: all)")
    grid.add_argument("--repeats", type=int, default=None, help="run each selected case this many times")
    grid.add_argument("--no-resume", action="store_true", help="re-run cases already in the CSV")
    args = parser.parse_args(argv)

    if args.command == "check":
        missing = missing_tools()
        if missing:
            print("missing: " + "; ".join(missing))
            return 1
        print(f"ready: QEMU {qemu_version()}, guest builds with gcc -m32")
        return 0
    if args.command == "run":
        result = run_migration(
            memory_mib=args.memory_mib, fill_mib=args.fill_mib, working_set_mib=args.working_set_mib,
            dirty_rate_mib_s=args.dirty_rate_mib_s, max_bandwidth_mib_s=args.max_bandwidth_mib_s,
            downtime_limit_ms=args.downtime_limit_ms, timeout_s=args.timeout_s,
        )
        print(json.dumps(result.row, indent=1, default=str))
        if args.samples:
            print(result.samples.to_string(index=False))
        return 0
    cases = standard_grid()
    if args.only_kind:
        cases = [c for c in cases if c["kind"] == args.only_kind]
    if args.cases:
        wanted = {int(c) for c in args.cases.split(",")}
        cases = [c for c in cases if c["case_id"] in wanted]
    if args.repeats:
        base = [c for c in cases if c["repeat"] == 0]
        cases = [{**c, "repeat": r} for c in base for r in range(args.repeats)]
    # resume skips (case_id, repeat) pairs already in the CSV
    df = run_grid(cases, args.out, resume=not args.no_resume)
    print(f"{len(df)} rows in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
