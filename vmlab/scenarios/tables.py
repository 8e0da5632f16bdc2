"""Small tables notebook 04 (why migrate) shows, so each cell stays one readable call.

>>> from vmlab.migration import VM
>>> fleet_table([VM(memory_mib=2048, dirty_rate_mib_s=10, wws_mib=512)]).columns.tolist()
['memory (MiB)', 'dirty rate (MiB/s)', 'working set (MiB)']
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

__all__ = ["fleet_table", "escape_table"]


def fleet_table(vms: Sequence[Any], names: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per VM: memory, dirty rate and working set (and CPU demand for placed VMs).

    Parameters
    ----------
    vms : list of VM or list of PlacedVM
        Plain VMs (:func:`~vmlab.random_fleet`) or VMs placed on a host with a CPU demand
        (:func:`~vmlab.demo_hot_host`); a placed VM's name labels its row.
    names : list of str, optional
        Row labels for plain VMs (default ``vm0``, ``vm1``...).

    Examples
    --------
    >>> from vmlab.scenarios import demo_hot_host
    >>> source, _ = demo_hot_host()
    >>> t = fleet_table(source)
    >>> t.loc["db"].tolist()
    [32768.0, 120.0, 8192.0, 5.0]
    """
    from vmlab.scenarios.balancing import PlacedVM

    items = list(vms)
    placed = bool(items) and all(isinstance(v, PlacedVM) for v in items)
    plain = [v.vm if placed else v for v in items]
    if names is None:
        names = [v.name for v in items] if placed else [f"vm{i}" for i in range(len(items))]
    if len(names) != len(items):
        raise ValueError(f"names must have one label per VM ({len(items)}); got {len(names)}")
    table = pd.DataFrame(
        {
            "memory (MiB)": [v.memory_mib for v in plain],
            "dirty rate (MiB/s)": [v.dirty_rate for v in plain],
            "working set (MiB)": [v.memory_mib if v.wws_mib is None else v.wws_mib for v in plain],
        },
        index=pd.Index(list(names), name="VM"),
    )
    if placed:
        table["CPU (cores)"] = [v.cpu_cores for v in items]
    return table


def escape_table(results: Mapping[str, Any], *, decimals: int = 1) -> pd.DataFrame:
    """Failure races side by side: VMs saved and lost, when the last one is safe, downtime summed.

    ``results`` maps a label to an :class:`~vmlab.EscapeResult` (from
    :func:`~vmlab.escape_failing_host`). "all safe after" is empty when some VM can never be
    saved (a live migration that does not converge).

    >>> from vmlab.migration import VM, Link
    >>> from vmlab.scenarios import escape_failing_host
    >>> fleet = [VM(memory_mib=4096, dirty_rate_mib_s=30)] * 2
    >>> live = escape_failing_host(fleet, Link(bandwidth_mib_s=119.2), time_to_failure_s=60)
    >>> t = escape_table({"live": live})
    >>> t.columns.tolist()
    ['VMs saved', 'VMs lost', 'all safe after (s)', 'downtime summed (s)']
    >>> t.loc["live", ["VMs saved", "VMs lost"]].tolist()   # about 46 s each, one after the other
    [1, 1]
    """
    rows = {
        name: {
            "VMs saved": r.n_saved,
            "VMs lost": r.n_lost,
            "all safe after (s)": r.all_safe_s if math.isfinite(r.all_safe_s) else math.nan,
            "downtime summed (s)": r.total_downtime_s,
        }
        for name, r in results.items()
    }
    return pd.DataFrame.from_dict(rows, orient="index").round(decimals)
