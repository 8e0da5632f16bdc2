"""The ``vmlab`` command (also ``python -m vmlab``).

Subcommands::

    vmlab sweep NOTEBOOK --grid GRID.yaml --out DIR [--workers N | --scheduler ADDRESS]
                [-p NAME VALUE ...] [--force] [--retry-failed] [--timeout S] [--quiet]
    vmlab report DIR [--output PAGE.html] [--metric NAME ...] [--plotlyjs inline|cdn]
    vmlab assign [NOTEBOOK ...] --out DIR [--variants GRID.yaml | --seed-per-student ROSTER.csv] [--force]
    vmlab grade SUBMISSIONS_DIR --key DIR --out grades.csv [--workers N | --scheduler ADDRESS]
                [--timeout S] [--force] [--quiet]
    vmlab book [--out DIR] [NOTEBOOK ...] [--workers N]

Adding a subcommand: write ``_add_<name>(subparsers)`` that creates its parser and sets
``handler=<function(args) -> exit code>`` with ``set_defaults``, and call it in
:func:`build_parser`. Handlers import what they need lazily, so ``vmlab --help`` stays fast.

Exit codes: 0 success; 1 some cases (submissions, notebooks) failed; 2 bad input or the sweep could not start or go on
(the message says which); 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["build_parser", "main"]

EXIT_OK, EXIT_FAILED_CASES, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, got {text!r}")
    return value


def _add_sweep(subparsers) -> None:
    p = subparsers.add_parser(
        "sweep",
        help="run a notebook over a grid of parameters (papermill), collect results.csv",
        description=(
            "Run NOTEBOOK once per case of the grid, each in a fresh kernel, into DIR/runs/<case-id>.ipynb, "
            "and collect the cases' published results into DIR/results.csv. Re-running the same command "
            "runs only the cases that have not finished."
        ),
        epilog=(
            "example: vmlab sweep notebooks/01_live_migration.ipynb "
            "--grid notebooks/sweeps/01_live_migration.yaml --out sweep-out/live --workers 2"
        ),
    )
    p.add_argument("notebook", metavar="NOTEBOOK", help="the notebook to run (it needs a cell tagged 'parameters')")
    p.add_argument("--grid", metavar="GRID.yaml", help="parameter names mapped to lists (cartesian product) and/or cases:")
    p.add_argument("--out", metavar="DIR", required=True, help="the sweep folder (created; reused to resume)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_positive_int, default=1, metavar="N", help="kernels at once on this machine (default 1)")
    where.add_argument("--scheduler", metavar="ADDRESS", help="run the cases on a Dask cluster, e.g. tcp://host:8786")
    p.add_argument(
        "-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
        help="set a parameter for every case (repeat a NAME to sweep over its values)",
    )
    p.add_argument("--force", action="store_true", help="delete an earlier sweep's runs in DIR and start over")
    p.add_argument("--retry-failed", action="store_true", help="run the cases recorded as failed again")
    p.add_argument("--timeout", type=_positive_float, default=600.0, metavar="S", help="seconds a cell may run (default 600)")
    p.add_argument("--kernel", metavar="NAME", help="kernel to run the cases in (default: the notebook's own)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=_sweep)


def _sweep(args: argparse.Namespace) -> int:
    from vmlab.sweep import GridError, SweepError, run_sweep

    overrides: dict[str, list[str]] = {}
    for name, value in args.parameter:
        overrides.setdefault(name, []).append(value)
    try:
        summary = run_sweep(
            args.notebook,
            args.grid,
            args.out,
            parameters=overrides,
            workers=args.workers,
            scheduler=args.scheduler,
            force=args.force,
            retry_failed=args.retry_failed,
            timeout=args.timeout,
            kernel_name=args.kernel,
            progress=not args.quiet,
        )
    except GridError as exc:
        print(f"vmlab sweep: error: {exc}\nnothing was run.", file=sys.stderr)
        return EXIT_USAGE
    except SweepError as exc:
        print(f"vmlab sweep: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if summary.interrupted:
        return EXIT_INTERRUPTED
    if summary.ok:
        print(f"figures and table for slides: vmlab report {args.out}", file=sys.stderr)
    return EXIT_FAILED_CASES if summary.failed else EXIT_OK


def _add_report(subparsers) -> None:
    p = subparsers.add_parser(
        "report",
        help="write an HTML summary of a sweep (figures + results table)",
        description="Write DIR/report.html: response curves, heatmaps and the results table of the sweep in DIR.",
    )
    p.add_argument("dir", metavar="DIR", help="a sweep folder (vmlab sweep --out DIR)")
    p.add_argument("--output", metavar="PAGE.html", help="where to write the page (default DIR/report.html)")
    p.add_argument("--metric", action="append", metavar="NAME", help="a result to draw (repeatable; default all numeric)")
    p.add_argument("--plotlyjs", choices=("inline", "cdn"), default="inline", help="embed plotly.js (default) or load it from the CDN")
    p.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    from vmlab.sweep import SweepError, write_report

    try:
        path = write_report(args.dir, args.output, metrics=args.metric, plotlyjs=args.plotlyjs)
    except SweepError as exc:
        print(f"vmlab report: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(path)
    return EXIT_OK


def _add_assign(subparsers) -> None:
    p = subparsers.add_parser(
        "assign",
        help="build student and answer-key versions of notebooks (per group or per student)",
        description=(
            "Write DIR/student/<name>.ipynb (no solutions, answers scaffolded as ..., no outputs) and "
            "DIR/key/<name>.ipynb (answers filled in, solutions) for each NOTEBOOK, the data they read "
            "(DIR/data), and DIR/assignment.json, which `vmlab grade --key DIR` reads."
        ),
        epilog=(
            "examples: vmlab assign notebooks/02_cold_migration.ipynb --out term/week2; "
            "vmlab assign notebooks/02_cold_migration.ipynb --variants notebooks/sweeps/02_cold_migration.yaml "
            "--out term/week2-groups; vmlab assign --seed-per-student roster.csv --out term/all"
        ),
    )
    p.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="notebooks to build (default: every notebooks/NN_*.ipynb but the instructors' 9x)")
    p.add_argument("--out", metavar="DIR", required=True, help="the assignment folder (created)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--variants", action="append", default=[], metavar="GRID.yaml",
                       help="one worksheet per case id of this grid (cases: with id:) in DIR/student/<id>/ (repeatable)")
    which.add_argument("--seed-per-student", metavar="ROSTER.csv",
                       help="one worksheet per student id (one per line), parameters drawn within the notebook's ranges")
    p.add_argument("--force", action="store_true", help="replace an earlier build in DIR")
    p.set_defaults(handler=_assign)


def _default_notebooks(*, for_students: bool = False) -> list[str]:
    """``notebooks/NN_*.ipynb`` of the current folder; for students, without the instructors' 9x notebooks."""
    from pathlib import Path

    paths = sorted(Path("notebooks").glob("[0-9][0-9]_*.ipynb"))
    return [str(p) for p in paths if not (for_students and p.name.startswith("9"))]


def _assign(args: argparse.Namespace) -> int:
    from vmlab.grading.assign import AssignError, build_assignment
    from vmlab.sweep.grid import GridError

    notebooks = args.notebooks or _default_notebooks(for_students=True)
    if not notebooks:
        print("vmlab assign: error: no notebooks given and none in ./notebooks", file=sys.stderr)
        return EXIT_USAGE
    try:
        summary = build_assignment(notebooks, args.out, variants=args.variants, roster=args.seed_per_student, force=args.force)
    except (AssignError, GridError) as exc:
        print(f"vmlab assign: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for warning in summary.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(summary, file=sys.stderr)
    if not summary.built:
        return EXIT_USAGE
    return EXIT_FAILED_CASES if summary.skipped else EXIT_OK


def _add_grade(subparsers) -> None:
    p = subparsers.add_parser(
        "grade",
        help="run and mark submitted notebooks against their answer key, write grades.csv and feedback",
        description=(
            "Run every notebook under SUBMISSIONS_DIR (<student>/<name>.ipynb or <student>_<name>.ipynb) in a "
            "fresh kernel, mark its exercises against the key for its own parameters (hidden checks included) "
            "and write one row per submission to grades.csv, per-student feedback and the written answers "
            "next to it. Re-running the same command grades only what is new or changed."
        ),
        epilog="example: vmlab grade exports/week2 --key term/week2 --out term/week2-grades.csv --workers 2",
    )
    p.add_argument("submissions", metavar="SUBMISSIONS_DIR", help="the submissions, as the learning platform exports them")
    p.add_argument("--key", metavar="DIR", required=True, help="the folder `vmlab assign --out DIR` wrote")
    p.add_argument("--out", metavar="grades.csv", default="grades.csv", help="the gradebook (default grades.csv); details go to grades/")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_positive_int, default=1, metavar="N", help="kernels at once on this machine (default 1)")
    where.add_argument("--scheduler", metavar="ADDRESS", help="grade on a Dask cluster, e.g. tcp://host:8786")
    p.add_argument("--timeout", type=_positive_float, default=300.0, metavar="S",
                   help="seconds one submission may run in all before it fails (default 300)")
    p.add_argument("--force", action="store_true", help="grade again what an earlier run graded")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=_grade)


def _grade(args: argparse.Namespace) -> int:
    from vmlab.grading.grade import GradeError, grade_submissions
    from vmlab.sweep import SweepError

    try:
        summary = grade_submissions(
            args.submissions, args.key, args.out, workers=args.workers, scheduler=args.scheduler,
            timeout=args.timeout, force=args.force, progress=not args.quiet,
        )
    except (GradeError, SweepError) as exc:
        print(f"vmlab grade: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if summary.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if summary.ok == summary.total else EXIT_FAILED_CASES


def _add_book(subparsers) -> None:
    p = subparsers.add_parser(
        "book",
        help="build the workbook as a static HTML site (executed, interactive figures)",
        description=(
            "Execute the notebooks and build a static HTML site of them (Sphinx, MyST-NB and the book theme "
            "Jupyter Book uses): executed outputs, interactive plotly figures, a navigation sidebar and a note "
            "on how to run each page. Needs the 'book' extra: pip install -e '.[book]' (make book does it)."
        ),
        epilog="example: vmlab book --out build/book --workers 2",
    )
    p.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="notebooks to include (default: every notebooks/NN_*.ipynb)")
    p.add_argument("--out", metavar="DIR", default="build/book", help="where the site goes (default build/book; open DIR/index.html)")
    p.add_argument("--workers", type=_positive_int, default=2, metavar="N", help="notebooks executed at once (default 2)")
    p.add_argument("--timeout", type=_positive_float, default=600.0, metavar="S", help="seconds a notebook may run (default 600)")
    p.set_defaults(handler=_book)


def _book(args: argparse.Namespace) -> int:
    from vmlab.book import BookError, build_book

    try:
        result = build_book(args.notebooks or _default_notebooks(), args.out, workers=args.workers, timeout=args.timeout)
    except BookError as exc:
        print(f"vmlab book: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(result.index)
    return EXIT_FAILED_CASES if result.failed else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The ``vmlab`` argument parser with every subcommand."""
    from vmlab import __version__

    parser = argparse.ArgumentParser(prog="vmlab", description="vmlab: the VM migration and provisioning workbook's tools.")
    parser.add_argument("--version", action="version", version=f"vmlab {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_sweep(subparsers)
    _add_report(subparsers)
    _add_assign(subparsers)
    _add_grade(subparsers)
    _add_book(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``vmlab`` command; return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
