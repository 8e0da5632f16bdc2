"""Live migration by pre-copy: :func:`precopy` for one scenario, :func:`precopy_grid` for many.

The model follows the seed's steps. *Preparation*: the destination's capacity is checked and
the connection set up (``setup_ms``). *Pre-copy*: a first pass sends all of memory while the VM
runs (zero pages as small headers). *Iterative transfer*: each later round re-sends the pages
dirtied during the round before. With constant dirty rate D and pre-copy rate R (λ = D/R < 1)
round i sends ``V_i = V_0·λ^i`` (Liu et al., HPDC 2011); a working set caps the dirty set at
``wws_mib`` and uniform random writes saturate (see :mod:`vmlab.migration.dirty`). The rounds
stop by the policy's rule (QEMU: ``pending < bandwidth × downtime_limit``; Xen: fewer than 50
dirty pages, or a cap). *The pause*: the VM stops and the remaining dirty pages and the
CPU/device state are copied. *Resume and ARP*: the VM restarts on the destination and a
gratuitous ARP moves its MAC to the new switch port. Downtime is

    downtime = (pending + device_state) / final_rate + latency + resume + arp.

A migration that cannot converge is a result, not a hang: QEMU iterates until the policy's
``timeout_s`` and is then cancelled (or forced, ``on_timeout="force"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np  # noqa: F401  (used in doctests too)
import pandas as pd

from vmlab.migration import _engine as eng
from vmlab.migration.params import DIRTY_PATTERNS, SPECS, VM, Host, Link, PrecopyPolicy

__all__ = ["PrecopyResult", "precopy", "precopy_grid"]

ROUND_COLUMNS = ["round", "start_s", "duration_s", "sent_mib", "dirtied_mib", "remaining_mib", "phase"]


@dataclass(frozen=True)
class PrecopyResult:
    """Outcome of one pre-copy live migration.

    Attributes
    ----------
    converged : bool
        The policy's own stop rule was met (QEMU: the dirty data fell below the threshold).
    completed : bool
        The VM ended up running on the destination (also true for a forced stop-and-copy).
    stop_reason : str
        Why the rounds stopped, in words, with the numbers that decided it.
    stop : str
        Short label of the reason (``"converged"``, ``"round cap"``, ``"cancelled at timeout"``...).
    n_rounds : int
        Live pre-copy rounds, the first full pass included, the stop-and-copy not.
    total_time_s : float
        From the migrate command to the VM answering on the destination.
    downtime_ms : float
        Blackout: stop-and-copy + latency + resume + ARP. ``nan`` when the migration was
        cancelled (the VM never stopped; see ``completed``).
    data_sent_mib : float
        Everything put on the wire, in MiB (zero-page headers and device state included).
    rounds : pandas.DataFrame
        One row per round: round, start_s, duration_s, sent_mib, dirtied_mib, remaining_mib,
        phase (``"full pass"``, ``"dirty pass"``, ``"stop-and-copy"``...).
    phases : pandas.DataFrame
        The seed's process steps on a timeline: phase, start_s, duration_s, vm_running.
    """

    vm: VM
    link: Link
    policy: PrecopyPolicy
    converged: bool
    completed: bool
    stop: str
    stop_reason: str
    n_rounds: int
    total_time_s: float
    downtime_ms: float
    data_sent_mib: float
    precopy_time_s: float
    final_copy_mib: float
    threshold_mib: float
    precopy_rate_mib_s: float
    final_rate_mib_s: float
    rounds: pd.DataFrame = field(repr=False)
    phases: pd.DataFrame = field(repr=False)

    def summary(self) -> pd.Series:
        """The headline numbers as a pandas Series (rounded for display)."""
        return pd.Series(
            {
                "policy": self.policy.name,
                "converged": self.converged,
                "stop": self.stop,
                "rounds": self.n_rounds,
                "total time (s)": round(self.total_time_s, 2),
                "downtime (ms)": round(self.downtime_ms, 1) if self.completed else float("nan"),
                "data sent (MiB)": round(self.data_sent_mib, 1),
            },
            name=self.policy.name,
        )


def _scalar_inputs(vm: VM, link: Link, policy: PrecopyPolicy) -> dict[str, np.ndarray]:
    values = {
        "memory_mib": vm.memory_mib,
        "rate": vm.dirty_rate,
        "region": vm.region_mib,
        "uniform": vm.dirty_pattern == "uniform",
        "zero_fraction": vm.zero_fraction,
        "page_size_kib": vm.page_size_kib,
        "device_state_mib": vm.device_state_mib,
        "bandwidth_mib_s": link.bandwidth_mib_s,
        "latency_ms": link.latency_ms,
        "rule_downtime": policy.stop_rule == "downtime",
        "downtime_limit_ms": policy.downtime_limit_ms,
        "cap_mib_s": eng.inf_if_none(policy.max_bandwidth_mib_s),
        "cap_final_copy": policy.cap_final_copy,
        "max_rounds": eng.inf_if_none(policy.max_rounds),
        "max_sent_factor": eng.inf_if_none(policy.max_sent_factor),
        "min_dirty_pages": policy.min_dirty_pages,
        "stop_if_dirty_grows": policy.stop_if_dirty_grows,
        "window_ms": eng.inf_if_none(policy.bandwidth_window_ms),
        "setup_ms": policy.setup_ms,
        "resume_ms": policy.resume_ms,
        "arp_ms": policy.arp_ms,
        "zero_page_bytes": math.nan if policy.zero_page_bytes is None else policy.zero_page_bytes,
        "zero_scan_mib_s": eng.inf_if_none(policy.zero_scan_mib_s),
        "bandwidth_efficiency": policy.bandwidth_efficiency,
        "timeout_s": policy.timeout_s,
        "force_on_timeout": policy.on_timeout == "force",
    }
    return {k: np.array([float(v)]) for k, v in values.items()}


def _reason(code: int, vm: VM, policy: PrecopyPolicy, out: dict[str, Any]) -> str:
    pending = out["pending_mib"]
    thr = out["threshold_mib"]
    rounds = out["n_rounds"]
    if code == eng.CONVERGED:
        if policy.stop_rule == "downtime":
            return (
                f"converged after {rounds} rounds: {pending:.3g} MiB dirty < threshold {thr:.3g} MiB "
                f"(measured bandwidth x {policy.downtime_limit_ms:g} ms downtime limit)"
            )
        return f"converged after {rounds} rounds: {pending * 1024 / vm.page_size_kib:.0f} dirty pages < {policy.min_dirty_pages}"
    if code == eng.FIRST_WINDOW:
        return (
            f"switched over after the first pass ({out['first_pass_s'] * 1000:.0f} ms): it ended inside the first "
            f"{policy.bandwidth_window_ms:g} ms bandwidth window, before QEMU had a threshold, so the "
            f"{pending:.3g} MiB dirtied meanwhile were copied in the pause whatever the limit"
        )
    if code == eng.ROUND_CAP:
        return f"forced stop-and-copy after {rounds} rounds (round cap {policy.max_rounds}) with {pending:.3g} MiB still dirty"
    if code == eng.SENT_CAP:
        return (
            f"forced stop-and-copy after sending {policy.max_sent_factor:g}x memory "
            f"({out['data_sent_mib'] - out['final_copy_mib']:.4g} MiB) with {pending:.3g} MiB still dirty"
        )
    if code == eng.DIRTY_GROWS:
        return f"forced stop-and-copy after {rounds} rounds: the dirty set grew to {pending:.3g} MiB (dirtying outpaces the link)"
    if code in (eng.TIMEOUT_CANCEL, eng.TIMEOUT_FORCE):
        what = "cancelled" if code == eng.TIMEOUT_CANCEL else "forced to stop-and-copy"
        rule = (
            f"threshold {thr:.3g} MiB (bandwidth x {policy.downtime_limit_ms:g} ms)"
            if policy.stop_rule == "downtime"
            else f"the {policy.min_dirty_pages}-page target"
        )
        return (
            f"did not converge: {what} after the {policy.timeout_s:g} s timeout ({rounds} rounds); "
            f"the dirty set stayed at {pending:.3g} MiB, above {rule}"
        )
    if code == eng.GAVE_UP:
        return f"stopped simulating after {eng.MAX_ROUNDS_SIMULATED} rounds without converging"
    raise AssertionError(code)


def _table(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    """A DataFrame from row tuples, built column-wise (several times faster for small tables)."""
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="object" if c == "phase" else float) for c in columns})
    return pd.DataFrame(dict(zip(columns, map(list, zip(*rows)))))


def _phases(setup_s: float, rows: list[tuple], out: dict[str, Any], link: Link, policy: PrecopyPolicy) -> pd.DataFrame:
    """The seed's process steps on a timeline, from the recorded rounds."""
    phases = [("preparation", 0.0, setup_s, True)]
    for _, start, duration, _, _, _, phase in rows:
        if phase == "stop-and-copy":
            continue
        label = "pre-copy (full pass)" if phase == "full pass" else "iterative transfer"
        phases.append((label, start, duration, True))
    if out["completed"]:
        start = setup_s + out["precopy_time_s"]
        copy = out["final_copy_mib"] / out["final_rate_mib_s"] + link.latency_ms / 1000
        phases.append(("pause: stop-and-copy", start, copy, False))
        phases.append(("resume", start + copy, policy.resume_ms / 1000, False))
        phases.append(("gratuitous ARP", start + copy + policy.resume_ms / 1000, policy.arp_ms / 1000, False))
    return _table(phases, ["phase", "start_s", "duration_s", "vm_running"])


def precopy(vm: VM, link: Link, policy: PrecopyPolicy | None = None, *, destination: Host | None = None) -> PrecopyResult:
    """Simulate a pre-copy live migration of ``vm`` over ``link`` under ``policy``.

    Parameters
    ----------
    vm : VM
    link : Link
    policy : PrecopyPolicy, optional
        Defaults to :meth:`PrecopyPolicy.qemu`.
    destination : Host, optional
        If given, the preparation step checks its free memory and vCPUs first; a migration
        that does not fit fails there (``completed=False``, nothing sent).

    Returns
    -------
    PrecopyResult

    Examples
    --------
    With no dirtying, one full pass: 4 GiB at 128 MiB/s (QEMU's default cap) takes 32 s.

    >>> r = precopy(VM(memory_mib=4096), Link(bandwidth_mib_s=1192))
    >>> r.converged, r.n_rounds, round(r.precopy_time_s, 3)
    (True, 1, 32.0)

    A hot working set larger than what fits in the downtime limit never converges:

    >>> vm = VM(memory_mib=4096, dirty_rate_mib_s=None, wws_mib=512)
    >>> r = precopy(vm, Link(bandwidth_mib_s=119.2), PrecopyPolicy.qemu(timeout_s=60))
    >>> r.converged, r.completed, r.stop
    (False, False, 'cancelled at timeout')
    """
    if policy is None:
        policy = PrecopyPolicy.qemu()
    for name, value, cls in (("vm", vm, VM), ("link", link, Link), ("policy", policy, PrecopyPolicy)):
        if not isinstance(value, cls):
            raise TypeError(f"precopy() argument {name} must be a {cls.__name__}; got {type(value).__name__}")
    setup_s = policy.setup_ms / 1000
    if destination is not None:
        if not isinstance(destination, Host):
            raise TypeError(f"destination must be a Host; got {type(destination).__name__}")
        short = []
        if destination.free_memory_mib < vm.memory_mib:
            short.append(f"{destination.free_memory_mib:g} MiB free memory < {vm.memory_mib:g} MiB needed")
        if destination.free_vcpus < vm.vcpus:
            short.append(f"{destination.free_vcpus:g} free vCPUs < {vm.vcpus} needed")
        if short:
            reason = f"preparation failed on {destination.name}: " + "; ".join(short)
            empty = _table([], ROUND_COLUMNS)
            phases = _table([("preparation", 0.0, setup_s, True)], ["phase", "start_s", "duration_s", "vm_running"])
            return PrecopyResult(vm, link, policy, False, False, eng.STOP_LABELS[eng.NO_CAPACITY], reason, 0,
                                 setup_s, math.nan, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, empty, phases)
    raw = eng.simulate(_scalar_inputs(vm, link, policy), record=True)
    out = {k: (v[0].item() if isinstance(v, np.ndarray) else v) for k, v in raw.items()}
    code = int(out["code"])
    rounds = _table(raw["rounds"], ROUND_COLUMNS)
    return PrecopyResult(
        vm=vm,
        link=link,
        policy=policy,
        converged=bool(out["converged"]),
        completed=bool(out["completed"]),
        stop=eng.STOP_LABELS[code],
        stop_reason=_reason(code, vm, policy, out),
        n_rounds=int(out["n_rounds"]),
        total_time_s=float(out["total_time_s"]),
        downtime_ms=float(out["downtime_ms"]),
        data_sent_mib=float(out["data_sent_mib"]),
        precopy_time_s=float(out["precopy_time_s"]),
        final_copy_mib=float(out["final_copy_mib"]),
        threshold_mib=float(out["threshold_mib"]),
        precopy_rate_mib_s=float(out["precopy_rate_mib_s"]),
        final_rate_mib_s=float(out["final_rate_mib_s"]),
        rounds=rounds,
        phases=_phases(setup_s, raw["rounds"], out, link, policy),
    )


# ---- the vectorised grid ----------------------------------------------------------------------
_VM_FIELDS = [f.name for f in fields(VM)]
_LINK_FIELDS = [f.name for f in fields(Link)]
_POLICY_FIELDS = [f.name for f in fields(PrecopyPolicy) if f.name != "name"]
GRID_RESULT_COLUMNS = ["converged", "completed", "stop", "n_rounds", "total_time_s", "downtime_ms", "data_sent_mib"]


def _check_array(name: str, values: np.ndarray, spec: dict[str, Any]) -> np.ndarray:
    """Vectorised version of the dataclass checks: report the first bad value by name."""
    spec = dict(spec)
    is_int = spec.pop("int", False)
    allow_none = spec.get("allow_none", False)
    allow_inf = spec.get("allow_inf", False)
    arr = np.asarray(values)
    if arr.dtype == object:
        if not allow_none:
            raise TypeError(f"{name} values must be numbers; got an object array")
        arr = np.array([np.inf if v is None else v for v in arr.ravel()], dtype=float).reshape(arr.shape)
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} values must be numbers; got dtype {arr.dtype}")
    arr = arr.astype(float)
    lo, hi = spec.get("minimum"), spec.get("maximum")
    bad = np.isnan(arr)
    bad |= np.isinf(arr) & ~((arr > 0) & (allow_inf or allow_none))
    if lo is not None:
        bad |= (arr < lo) | ((arr == lo) & (not spec.get("min_inclusive", True)))
    if hi is not None:
        bad |= np.isfinite(arr) & ((arr > hi) | ((arr == hi) & (not spec.get("max_inclusive", True))))
    if is_int:
        bad |= np.isfinite(arr) & (arr != np.round(arr))
    if bad.any():
        first = arr.ravel()[np.flatnonzero(bad.ravel())[0]]
        parts = []
        if lo is not None:
            parts.append(f"{'>=' if spec.get('min_inclusive', True) else '>'} {lo:g}")
        if hi is not None:
            parts.append(f"<= {hi:g}")
        kind = "whole numbers" if is_int else "numbers"
        extra = " (None/inf allowed)" if (allow_none or allow_inf) else ""
        raise ValueError(f"{name} values must be {kind} {' and '.join(parts)}{extra}; got {first!r} ({int(bad.sum())} bad values)")
    return arr


def precopy_grid(
    *, vm: VM | None = None, link: Link | None = None, policy: PrecopyPolicy | None = None, **values: Any
) -> pd.DataFrame:
    """Evaluate :func:`precopy` over many scenarios at once, vectorised with numpy.

    Keyword arguments name fields of :class:`VM`, :class:`Link` or :class:`PrecopyPolicy`
    (e.g. ``memory_mib``, ``dirty_rate_mib_s``, ``bandwidth_mib_s``, ``downtime_limit_ms``)
    and take scalars or arrays that broadcast together (``np.meshgrid`` / ``[:, None]``).
    Fields not given come from ``vm``, ``link`` and ``policy`` (defaults: ``VM()``, ``Link()``,
    ``PrecopyPolicy.qemu()``). Every row equals what :func:`precopy` returns for that scenario.

    Returns
    -------
    pandas.DataFrame
        One row per scenario: the varied inputs, then ``converged``, ``completed``, ``stop``,
        ``n_rounds``, ``total_time_s``, ``downtime_ms`` and ``data_sent_mib``.

    Examples
    --------
    >>> df = precopy_grid(dirty_rate_mib_s=np.array([0.0, 50.0, 500.0]), bandwidth_mib_s=119.2,
    ...                   memory_mib=4096, policy=PrecopyPolicy.qemu(timeout_s=120))
    >>> print(df[["dirty_rate_mib_s", "converged", "stop", "n_rounds"]].to_string(index=False))
     dirty_rate_mib_s  converged                 stop  n_rounds
                  0.0       True            converged         1
                 50.0       True            converged         6
                500.0      False cancelled at timeout         4
    """
    vm = VM() if vm is None else vm
    link = Link() if link is None else link
    policy = PrecopyPolicy.qemu() if policy is None else policy
    known = set(_VM_FIELDS) | set(_LINK_FIELDS) | set(_POLICY_FIELDS)
    unknown = sorted(set(values) - known)
    if unknown:
        raise TypeError(f"precopy_grid() got unknown parameter(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}")
    if not values:
        raise ValueError("precopy_grid() needs at least one parameter to vary, e.g. dirty_rate_mib_s=np.linspace(0, 200, 50)")

    # string / bool fields must be scalars (one pattern, one rule per grid); numbers may be arrays
    scalar_only = {"dirty_pattern", "stop_rule", "on_timeout", "cap_final_copy", "stop_if_dirty_grows"}
    for name in scalar_only & set(values):
        if np.ndim(values[name]) != 0:
            raise TypeError(f"precopy_grid(): {name} must be a single value, not an array (run one grid per {name})")
    scalars = {k: v for k, v in values.items() if k in scalar_only}
    vm = _replace_checked(vm, {k: v for k, v in scalars.items() if k in _VM_FIELDS})
    policy = policy.replace(**{k: v for k, v in scalars.items() if k in _POLICY_FIELDS})
    arrays = {k: v for k, v in values.items() if k not in scalar_only}

    names = list(arrays)
    checked = []
    for name in names:
        owner = "VM" if name in _VM_FIELDS else "Link" if name in _LINK_FIELDS else "PrecopyPolicy"
        raw = arrays[name]
        if raw is None:
            raw = np.inf
        checked.append(_check_array(f"{owner}.{name}", np.asarray(raw, dtype=object if raw is None else None), SPECS[owner][name]))
    try:
        broadcast = np.broadcast_arrays(*checked)
    except ValueError as err:
        shapes = ", ".join(f"{n}{np.shape(a)}" for n, a in zip(names, checked))
        raise ValueError(f"precopy_grid(): parameter arrays do not broadcast together: {shapes}") from err
    flat = {n: np.ascontiguousarray(a).ravel() for n, a in zip(names, broadcast)}
    size = next(iter(flat.values())).size

    base = _scalar_inputs(vm, link, policy)
    inp = {k: np.broadcast_to(v, (size,)) for k, v in base.items()}
    rename = {"dirty_rate_mib_s": "rate", "max_bandwidth_mib_s": "cap_mib_s", "bandwidth_window_ms": "window_ms"}
    for name, arr in flat.items():
        key = rename.get(name, name)
        if name == "zero_page_bytes":
            arr = np.where(np.isinf(arr), np.nan, arr)
        if name in ("wws_mib", "memory_mib"):
            continue
        inp[key] = arr
    memory = flat.get("memory_mib", inp["memory_mib"])
    inp["memory_mib"] = memory
    if "wws_mib" in flat:
        if vm.dirty_pattern == "constant":
            raise ValueError("VM.wws_mib must be None with dirty_pattern='constant'")
        wws = flat["wws_mib"]
        region = np.where(np.isinf(wws), memory, wws)
    elif vm.wws_mib is None:
        region = memory
    else:
        region = np.broadcast_to(vm.wws_mib, (size,))
    if np.any(region > memory):
        bad = np.flatnonzero(region > memory)[0]
        raise ValueError(f"VM.wws_mib must be at most VM.memory_mib; got wws_mib={region[bad]:g} with memory_mib={memory[bad]:g}")
    inp["region"] = np.minimum(region, memory * (1.0 - inp["zero_fraction"]))  # writes land in non-zero pages
    out = eng.simulate_many(inp, keys=("code", "converged", "completed", "n_rounds", "total_time_s", "downtime_ms", "data_sent_mib"))

    frame = pd.DataFrame(flat)
    frame["converged"] = out["converged"]
    frame["completed"] = out["completed"]
    frame["stop"] = pd.Categorical.from_codes(out["code"], categories=[eng.STOP_LABELS[i] for i in range(len(eng.STOP_LABELS))])
    frame["n_rounds"] = out["n_rounds"]
    frame["total_time_s"] = out["total_time_s"]
    frame["downtime_ms"] = out["downtime_ms"]
    frame["data_sent_mib"] = out["data_sent_mib"]
    return frame


def _replace_checked(vm: VM, changes: dict[str, Any]) -> VM:
    if not changes:
        return vm
    from dataclasses import replace

    return replace(vm, **changes)
