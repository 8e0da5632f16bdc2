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

__all__ = ["compare_results", "cold_downtime_table"]


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
