"""Small tables that notebooks show, built here so a notebook cell stays one readable call.

>>> from vmlab import VM, Link, cold_migration
>>> c = cold_migration(VM(), Link(), disk_gib=40)
>>> compare_results({"cold": c}).columns.tolist()
['downtime (s)', 'total time (s)', 'data sent (MiB)']
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

__all__ = ["compare_results", "cold_downtime_table", "live_win_shares", "live_vs_cold_scorecard", "result_summaries"]


def _downtime_s(result: Any) -> float:
    if getattr(result, "completed", True) is False:
        return math.nan
    return float(result.downtime_ms) / 1000.0


def compare_results(results: Mapping[str, Any], *, decimals: int = 1) -> pd.DataFrame:
    """One row per migration result: downtime, total time and data sent, side by side.

    ``results`` maps a label to any migration result with ``downtime_ms``, ``total_time_s`` and
    ``data_sent_mib`` (a live :class:`~vmlab.PrecopyResult` or a :class:`~vmlab.ColdResult`).
    A live migration that never completed shows an empty downtime.
    """
    rows = {
        name: {
            "downtime (s)": _downtime_s(r),
            "total time (s)": float(r.total_time_s),
            "data sent (MiB)": float(r.data_sent_mib),
        }
        for name, r in results.items()
    }
    return pd.DataFrame.from_dict(rows, orient="index").round(decimals)


def cold_downtime_table(
    vm: Any,
    *,
    disks_gib: Iterable[float],
    links_gbit_s: Iterable[float],
    latency_ms: float = 0.1,
    policy: Any = None,
    decimals: int = 1,
) -> pd.DataFrame:
    """Cold-migration downtime in minutes for every disk size (rows) and link speed (columns).

    One :func:`~vmlab.cold_migration` call per cell, with ``policy``'s fixed step durations.

    >>> from vmlab import VM
    >>> cold_downtime_table(VM(), disks_gib=[40], links_gbit_s=[1, 10]).iloc[0].tolist()
    [6.8, 1.6]
    """
    from vmlab.migration import Link, cold_migration
    from vmlab.units import gbit_s_to_mib_s

    disks, links = list(disks_gib), list(links_gbit_s)
    table = pd.DataFrame(
        {
            f"{g:g} Gbit/s": [
                cold_migration(vm, Link(bandwidth_mib_s=gbit_s_to_mib_s(g), latency_ms=latency_ms), disk_gib=d,
                               policy=policy).downtime_ms / 60_000
                for d in disks
            ]
            for g in links
        },
        index=pd.Index([f"{d:g} GiB" for d in disks], name="disk"),
    )
    return table.round(decimals)


STORAGE_COLUMNS = {"own storage": False, "shared storage": True}
"""Columns of :func:`live_win_shares`: the label and the ``shared_storage`` flag behind it."""


def live_win_shares(
    *,
    vm: Any,
    link: Any,
    policy: Any,
    dirty_rates_mib_s: Iterable[float],
    bandwidths_mib_s: Iterable[float],
    disk_gib: float,
    disk_dirty_rate_mib_s: float = 0.0,
    cold_policy: Any = None,
) -> pd.DataFrame:
    """Share of a dirty rate × bandwidth map where live migration beats cold, per criterion and storage.

    Runs :func:`vmlab.live_vs_cold_grid` on every pair of ``dirty_rates_mib_s`` ×
    ``bandwidths_mib_s`` for each criterion (downtime, total time, data sent), once with the disk
    on the hosts' own storage (live mirrors it, cold copies it) and once on shared storage (live
    moves memory only, cold only the configuration). The winner rule is
    :func:`vmlab.live_vs_cold_verdict`'s: a live migration that does not complete loses.

    Returns
    -------
    pandas.DataFrame
        Index ``criterion`` (``"downtime"``, ``"total time"``, ``"data sent"``), columns
        ``"own storage"`` and ``"shared storage"``: the share of the map's cells (0..1) where live wins.

    Examples
    --------
    With shared storage a cold move sends only the configuration, so live never wins on data:

    >>> from vmlab import VM, Link, PrecopyPolicy
    >>> t = live_win_shares(vm=VM(memory_mib=4096, wws_mib=512), link=Link(), policy=PrecopyPolicy.qemu(),
    ...                     dirty_rates_mib_s=[0, 60, 300], bandwidths_mib_s=[119.2, 1192], disk_gib=40)
    >>> t.loc["data sent"].tolist()
    [0.0, 0.0]
    >>> round(float(t.loc["downtime", "shared storage"]), 3)
    0.667
    """
    import numpy as np

    from vmlab.migration.compare import CRITERIA, live_vs_cold_grid

    D, B = np.meshgrid(np.asarray(list(dirty_rates_mib_s), dtype=float),
                       np.asarray(list(bandwidths_mib_s), dtype=float))
    shares = {
        label: {
            CRITERIA[criterion]: float((live_vs_cold_grid(
                vm=vm, link=link, policy=policy, dirty_rate_mib_s=D, bandwidth_mib_s=B, disk_gib=disk_gib,
                shared_storage=shared, cold_policy=cold_policy, criterion=criterion,
                disk_dirty_rate_mib_s=disk_dirty_rate_mib_s)["winner"] == "live").mean())
            for criterion in CRITERIA
        }
        for label, shared in STORAGE_COLUMNS.items()
    }
    return pd.DataFrame(shares).rename_axis("criterion")


def live_vs_cold_scorecard(live: Any, cold: Any) -> pd.DataFrame:
    """One live and one cold migration of the same VM, judged on downtime, total time and data sent.

    ``live`` is a :func:`vmlab.live_migration_with_storage` (or :func:`vmlab.precopy`) result,
    ``cold`` a :func:`vmlab.cold_migration` result. The winner is
    :func:`vmlab.live_vs_cold_verdict`'s; the reason, one sentence, comes from
    :func:`vmlab.figures.live_vs_cold.live_vs_cold_reasons`.

    Returns
    -------
    pandas.DataFrame
        Index ``criterion``; columns ``live``, ``cold`` (readable values), ``winner``, ``why``.

    Examples
    --------
    >>> from vmlab import VM, Link, cold_migration, live_migration_with_storage
    >>> vm, link = VM(memory_mib=4096, dirty_rate_mib_s=30), Link(bandwidth_mib_s=119.2)
    >>> card = live_vs_cold_scorecard(live_migration_with_storage(vm, link, disk_gib=40, disk_dirty_rate_mib_s=5),
    ...                               cold_migration(vm, link, disk_gib=40))
    >>> card["winner"].to_dict()
    {'downtime': 'live', 'total time': 'live', 'data sent': 'cold'}
    """
    from vmlab.figures.live_vs_cold import live_vs_cold_reasons
    from vmlab.format import format_duration, format_mib
    from vmlab.migration.compare import live_vs_cold_verdict

    verdict = live_vs_cold_verdict(live, cold)
    reasons = live_vs_cold_reasons(live, cold)
    live_down = format_duration(live.downtime_ms / 1000.0) if live.completed else "none: it did not complete"
    values = {
        "downtime": (live_down, format_duration((cold.downtime_ms / 1000))),
        "total time": (format_duration(live.total_time_s), format_duration(cold.total_time_s)),
        "data sent": (format_mib(live.data_sent_mib), format_mib(cold.data_sent_mib)),
    }
    rows = {k: {"live": a, "cold": b, "winner": verdict[k], "why": reasons[k]} for k, (a, b) in values.items()}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("criterion")


def result_summaries(results: Mapping[str, Any]) -> pd.DataFrame:
    """One row per labelled result, with the headline numbers its own ``summary()`` reports.

    Works for any mix of migration results that have a ``summary()`` (pre-copy, auto-converge,
    compression, post-copy, live with storage); a column a result does not report stays empty.

    >>> from vmlab import VM, Link, precopy
    >>> vm = VM(memory_mib=1024, dirty_rate_mib_s=10)
    >>> t = result_summaries({"1 Gbit/s": precopy(vm, Link(bandwidth_mib_s=119.2)),
    ...                       "10 Gbit/s": precopy(vm, Link(bandwidth_mib_s=1192))})
    >>> list(t.index), t["stop"].tolist()
    (['1 Gbit/s', '10 Gbit/s'], ['converged', 'converged'])
    """
    return pd.DataFrame({name: r.summary() for name, r in results.items()}).T
