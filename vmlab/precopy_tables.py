"""Tables of pre-copy runs and stop rules, so a notebook cell stays one readable call.

:func:`precopy_table` lines up the headline numbers of several :func:`~vmlab.precopy` runs and
:func:`stop_reasons` lists why each stopped (whole sentences, which a table cell would cut);
:func:`stop_rules_table` spells out what each :class:`~vmlab.PrecopyPolicy` does, read from its
fields, so the text never repeats a preset's numbers by hand.

>>> import vmlab as vl
>>> stop_rules_table(vl.PrecopyPolicy.qemu(), vl.PrecopyPolicy.xen()).index.tolist()
['QEMU', 'Xen']
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = ["precopy_table", "stop_reasons", "StopReasons", "stop_rules_table"]


def _check_results(results: Any, caller: str) -> None:
    if not isinstance(results, Mapping) or not results:
        raise TypeError(f"{caller}() needs a mapping {{label: PrecopyResult}} with at least one run")
    for label, result in results.items():
        if not hasattr(result, "summary") or not hasattr(result, "stop_reason"):
            raise TypeError(f"{caller}(): {label!r} is a {type(result).__name__}, not a PrecopyResult")


def precopy_table(results: Mapping[str, Any]) -> pd.DataFrame:
    """One row per pre-copy run: policy, converged, stop, rounds, total time, downtime, data sent.

    Parameters
    ----------
    results : mapping of str to PrecopyResult
        Label -> result of :func:`vmlab.precopy`.

    Returns
    -------
    pandas.DataFrame
        Indexed by the labels. ``downtime (ms)`` is empty for a cancelled migration (the VM
        never stopped). :func:`stop_reasons` says why each run stopped.

    Examples
    --------
    >>> import vmlab as vl
    >>> r = vl.precopy(vl.VM(memory_mib=1024), vl.Link(bandwidth_mib_s=119.2))
    >>> int(precopy_table({"idle": r}).loc["idle", "rounds"])
    1
    """
    _check_results(results, "precopy_table")
    rows = {label: result.summary().to_dict() for label, result in results.items()}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table["rounds"] = table["rounds"].astype(int)
    return table


class StopReasons(dict):
    """Label -> stop reason, shown as a list (markdown in a notebook, lines in plain text)."""

    def _repr_markdown_(self) -> str:
        return "\n".join(f"- **{label}**: {reason}" for label, reason in self.items())

    def __str__(self) -> str:
        return "\n".join(f"{label}: {reason}" for label, reason in self.items())

    def __repr__(self) -> str:
        return str(self)


def stop_reasons(results: Mapping[str, Any]) -> StopReasons:
    """Why each pre-copy run stopped, in whole sentences with the numbers that decided it.

    Parameters
    ----------
    results : mapping of str to PrecopyResult
        Label -> result of :func:`vmlab.precopy`.

    Returns
    -------
    StopReasons
        A dict label -> ``stop_reason`` that a notebook shows as a bulleted list.

    Examples
    --------
    >>> import vmlab as vl
    >>> print(stop_reasons({"idle": vl.precopy(vl.VM(memory_mib=1024), vl.Link())}))  # doctest: +ELLIPSIS
    idle: converged after 1 round(s): ...
    """
    _check_results(results, "stop_reasons")
    return StopReasons((label, result.stop_reason) for label, result in results.items())


def _switch_over(policy: Any) -> str:
    if policy.stop_rule == "downtime":
        return f"dirty data < bandwidth x {policy.downtime_limit_ms:g} ms"
    return f"fewer than {policy.min_dirty_pages} pages dirty"


def _timeout(policy: Any) -> str:
    timeout = getattr(policy, "timeout_s", None)
    if timeout is None or not math.isfinite(timeout):
        return "no timeout"
    action = "cancel (the VM stays on the source)" if policy.on_timeout == "cancel" else "force the pause"
    return f"after {timeout:g} s: {action}"


def stop_rules_table(*policies: Any) -> pd.DataFrame:
    """What each policy does: when it switches over, what forces the pause, what caps its rate.

    Every cell is read from the policy's fields (:class:`vmlab.PrecopyPolicy`), so a changed
    preset changes the table.

    Parameters
    ----------
    *policies : PrecopyPolicy
        One row each, indexed by ``policy.name``.

    Returns
    -------
    pandas.DataFrame
        Columns ``switch over when``, ``round cap``, ``data cap``, ``dirty set grows``,
        ``timeout``, ``pre-copy rate cap``.

    Examples
    --------
    >>> import vmlab as vl
    >>> t = stop_rules_table(vl.PrecopyPolicy.xen_legacy())
    >>> t.loc["Xen (legacy)", "round cap"], t.loc["Xen (legacy)", "data cap"]
    ('29 live rounds, then the pause', '3x memory, then the pause')
    """
    if not policies:
        raise TypeError("stop_rules_table() needs at least one PrecopyPolicy")
    rows = {}
    for policy in policies:
        if not hasattr(policy, "stop_rule"):
            raise TypeError(f"stop_rules_table(): expected PrecopyPolicy objects; got {type(policy).__name__}")
        cap = policy.max_bandwidth_mib_s
        rows[policy.name] = {
            "switch over when": _switch_over(policy),
            "round cap": "none" if policy.max_rounds is None else f"{policy.max_rounds} live rounds, then the pause",
            "data cap": "none" if policy.max_sent_factor is None else f"{policy.max_sent_factor:g}x memory, then the pause",
            "dirty set grows": "force the pause" if policy.stop_if_dirty_grows else "keep going",
            "timeout": _timeout(policy),
            "pre-copy rate cap": "none (link speed)" if cap is None else f"{cap:g} MiB/s",
        }
    return pd.DataFrame.from_dict(rows, orient="index")
