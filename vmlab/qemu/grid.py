"""A grid of real migrations written to a CSV, with a progress bar.

:func:`standard_grid` is the grid behind ``data/qemu_migrations.csv``; :func:`run_grid` runs
any list of cases, appending one row per run to the CSV as soon as it is measured (so an
interrupted grid keeps what it measured, and ``resume=True`` skips what is already there).
:func:`load_measurements` reads the shipped data.

>>> cases = standard_grid()
>>> len(cases) >= 30 and {"idle", "hot", "paced", "boundary"} <= {c["kind"] for c in cases}
True
>>> df = load_measurements()
>>> bool(len(df) >= 30 and df["converged"].dtype == bool)
True
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from vmlab.qemu.harness import ROW_COLUMNS, run_migration

__all__ = ["CASE_COLUMNS", "DATA_PATH", "load_measurements", "run_grid", "standard_grid", "threshold_ratio"]

DATA_PATH = Path(__file__).resolve().parents[2] / "data" / "qemu_migrations.csv"
"""The shipped measurements (``data/qemu_migrations.csv`` in the repository)."""

CASE_COLUMNS = (
    "case_id", "kind", "repeat", "memory_mib", "fill_mib", "working_set_mib", "dirty_rate_mib_s",
    "max_bandwidth_mib_s", "downtime_limit_ms", "timeout_s",
)
_RUN_KEYS = (
    "memory_mib", "fill_mib", "working_set_mib", "dirty_rate_mib_s", "max_bandwidth_mib_s",
    "downtime_limit_ms", "timeout_s",
)


def threshold_ratio(working_set_mib: float, max_bandwidth_mib_s: float, downtime_limit_ms: float) -> float:
    """Working set over QEMU's switch-over threshold ``max_bandwidth x downtime_limit``.

    A hot (unpaced) working set converges when this is below about 0.95 and never when it is
    above about 1.3; in between the outcome is noisy from run to run.

    >>> threshold_ratio(20, 64, 300)   # 20 MiB against 64 MiB/s x 0.3 s = 19.2 MiB
    1.0416666666666667
    """
    return working_set_mib / (max_bandwidth_mib_s * downtime_limit_ms / 1000.0)


def _case(kind: str, mem: int, fill: int, ws: int, bw: float, dl: float, rate: float = 0.0,
          repeats: int = 1) -> list[dict[str, Any]]:
    # long enough for two full passes of the non-zero memory, and at least 12 s
    timeout_s = float(max(12, round(2 * max(fill, ws) / bw + 4)))
    return [
        {"kind": kind, "repeat": r, "memory_mib": mem, "fill_mib": fill, "working_set_mib": ws,
         "dirty_rate_mib_s": rate, "max_bandwidth_mib_s": bw, "downtime_limit_ms": dl,
         "timeout_s": timeout_s}
        for r in range(repeats)
    ]


def standard_grid() -> list[dict[str, Any]]:
    """The cases measured for ``data/qemu_migrations.csv`` (see ``data/README.md``).

    Kinds: ``idle`` (no working set: one pass, zero pages cheap), ``hot`` (an unpaced working
    set clearly below or above ``max_bandwidth x downtime_limit``), ``boundary`` (within
    0.8-1.3x of it, repeated because the outcome is noisy) and ``paced`` (working set rewritten
    at a set rate, the textbook geometric-series regime). Each case gets a stable ``case_id``.
    """
    cases: list[dict[str, Any]] = []
    # idle guests: RAM size, fill level, bandwidth, downtime limit
    cases += _case("idle", 128, 0, 0, 32, 300)
    cases += _case("idle", 128, 64, 0, 32, 300)
    cases += _case("idle", 256, 128, 0, 64, 300)
    cases += _case("idle", 256, 240, 0, 128, 300)
    cases += _case("idle", 512, 96, 0, 64, 300)
    cases += _case("idle", 512, 448, 0, 128, 30)
    cases += _case("idle", 1024, 256, 0, 128, 300)
    cases += _case("idle", 1024, 0, 0, 64, 300)
    # hot working sets, clearly converging (ratio < 0.8)
    cases += _case("hot", 128, 64, 4, 32, 300)
    cases += _case("hot", 256, 128, 8, 64, 300)
    cases += _case("hot", 256, 200, 16, 128, 300)
    cases += _case("hot", 512, 256, 32, 128, 500)
    cases += _case("hot", 256, 128, 16, 32, 1000)
    cases += _case("hot", 512, 128, 8, 32, 500)
    # hot working sets, clearly not converging (ratio > 1.3): cancelled at timeout_s
    cases += _case("hot", 128, 64, 16, 32, 300)
    cases += _case("hot", 256, 128, 32, 64, 300)
    cases += _case("hot", 256, 128, 64, 128, 300)
    cases += _case("hot", 512, 256, 128, 128, 500)
    cases += _case("hot", 256, 128, 16, 32, 100)
    # near the boundary: measured more than once
    cases += _case("boundary", 256, 128, 16, 64, 300, repeats=2)   # 0.83
    cases += _case("boundary", 256, 128, 20, 64, 300, repeats=3)   # 1.04
    cases += _case("boundary", 256, 128, 24, 64, 300, repeats=2)   # 1.25
    cases += _case("boundary", 128, 64, 12, 32, 300, repeats=2)    # 1.25
    cases += _case("boundary", 256, 160, 40, 128, 300, repeats=2)  # 1.04
    # paced working sets: dirty rate below / near / above the bandwidth
    cases += _case("paced", 256, 128, 64, 64, 300, rate=8)
    cases += _case("paced", 256, 192, 128, 64, 300, rate=32)
    cases += _case("paced", 256, 192, 128, 64, 300, rate=48)
    cases += _case("paced", 256, 128, 128, 32, 300, rate=16)
    cases += _case("paced", 512, 256, 256, 128, 300, rate=64)
    cases += _case("paced", 256, 192, 128, 64, 300, rate=96)
    cases += _case("paced", 512, 384, 256, 32, 300, rate=48)
    cases += _case("paced", 256, 128, 64, 128, 100, rate=32)
    ids: dict[tuple, int] = {}
    for c in cases:  # one case_id per configuration; repeats share it
        c["case_id"] = ids.setdefault(tuple(c[k] for k in _RUN_KEYS), len(ids))
    return cases


def _done_keys(path: Path) -> set[tuple]:
    if not path.exists() or path.stat().st_size == 0:
        return set()
    df = pd.read_csv(path)
    return {tuple(r) for r in df[["case_id", "repeat"]].itertuples(index=False)} if "case_id" in df else set()


def run_grid(
    cases: Iterable[Mapping[str, Any]],
    csv_path: str | os.PathLike,
    *,
    resume: bool = True,
    progress: bool = True,
    on_error: str = "record",
) -> pd.DataFrame:
    """Run every case with :func:`run_migration`, appending one CSV row per run.

    Parameters
    ----------
    cases : iterable of mappings
        Each with the keys of :data:`CASE_COLUMNS` (``case_id``/``kind``/``repeat`` are
        labels; the rest go to :func:`run_migration`).
    csv_path : path
        CSV to append to (created with a header if missing).
    resume : bool
        Skip cases whose ``(case_id, repeat)`` is already in the CSV.
    progress : bool
        Show a tqdm progress bar.
    on_error : {"record", "raise"}
        Record a failed run as a row with ``status="error"`` (and carry on), or stop.

    Returns
    -------
    pandas.DataFrame
        The whole CSV after the grid.
    """
    from tqdm.auto import tqdm

    path = Path(csv_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cases = [dict(c) for c in cases]
    done = _done_keys(path) if resume else set()
    todo = [c for c in cases if (c.get("case_id"), c.get("repeat", 0)) not in done]
    header = ["case_id", "kind", "repeat", *ROW_COLUMNS, "error"]
    if path.exists() and path.stat().st_size > 0:
        with open(path, newline="") as f:
            header = next(csv.reader(f))
    else:
        with open(path, "w", newline="") as f:
            csv.writer(f).writerow(header)
    bar = tqdm(todo, desc="QEMU migrations", unit="run", disable=not progress)
    for case in bar:
        labels = {k: case.get(k) for k in ("case_id", "kind", "repeat")}
        bar.set_postfix_str(
            f"{case['memory_mib']}M ws={case['working_set_mib']} bw={case['max_bandwidth_mib_s']:g} "
            f"dl={case['downtime_limit_ms']:g}"
        )
        try:
            row = {**labels, **run_migration(**{k: case[k] for k in _RUN_KEYS}).row}
        except KeyboardInterrupt:
            raise
        except Exception as err:  # noqa: BLE001 - recorded, the grid goes on
            if on_error == "raise":
                raise
            row = {**labels, **{k: case[k] for k in _RUN_KEYS}, "status": "error", "error": repr(err)[:300]}
        if "dirty_rate_mib_s" in row:
            row["paced_rate_mib_s"] = row.pop("dirty_rate_mib_s")
        with open(path, "a", newline="") as f:
            csv.DictWriter(f, fieldnames=header, extrasaction="ignore").writerow(row)
    bar.close()
    return pd.read_csv(path)


def load_measurements(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Read ``data/qemu_migrations.csv`` (or ``path``): one row per measured migration.

    Adds ``threshold_mib`` (``max_bandwidth x downtime_limit``) and ``threshold_ratio``
    (working set over it). Runs recorded as ``status="error"`` are dropped.
    """
    df = pd.read_csv(path if path is not None else DATA_PATH)
    if "status" in df:
        df = df[df["status"] != "error"].reset_index(drop=True)
    df["converged"] = df["converged"].astype(str).str.lower().eq("true")
    df["threshold_mib"] = df["max_bandwidth_mib_s"] * df["downtime_limit_ms"] / 1000.0
    df["threshold_ratio"] = df["working_set_mib"] / df["threshold_mib"]
    return df
