"""Live migration by pre-copy: :func:`precopy` for one scenario, :func:`precopy_grid` for many.

The model follows the steps of the course text. *Preparation*: the destination's capacity is checked and
the connection set up (``setup_ms``). *Pre-copy*: a first pass sends all of memory while the VM
runs (zero pages as small headers). *Iterative transfer*: each later round re-sends the pages
dirtied during the round before. With constant dirty rate D and pre-copy rate R (λ = D/R < 1)
round i sends ``V_i = V_0·λ^i`` (Liu et al., HPDC 2011); a working set caps the dirty set at
``wws_mib`` and uniform random writes saturate (see :mod:`vmlab.migration.dirty`). The rounds
stop by the policy's rule (QEMU: ``pending < bandwidth × downtime_limit``; Xen: a round that
sent fewer than 50 pages, or a cap; see :mod:`vmlab.migration._rules`). *The pause*: the VM stops and the remaining dirty pages and the
CPU/device state are copied. *Resume and ARP*: the VM restarts on the destination and a
gratuitous ARP moves its MAC to the new switch port. Downtime is

    downtime = (pending + device_state) / final_rate + latency + resume + arp.

A migration that cannot converge is a result, not a hang: QEMU iterates until the policy's
``timeout_s`` and is then cancelled (or forced, ``on_timeout="force"``); Xen has no timeout and
ends by its caps.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np  # noqa: F401  (used in doctests too)
import pandas as pd

from vmlab._checks import check_type
from vmlab.migration import _engine as eng
from vmlab.migration import _rules as rules
from vmlab.migration.params import VM, Host, Link, PrecopyPolicy

__all__ = ["PrecopyResult", "precopy", "precopy_grid", "precopy_many"]

ROUND_COLUMNS = rules.ROUND_COLUMNS


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
        The process steps on a timeline: phase, start_s, duration_s, vm_running.
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
    check_type("precopy() argument vm", vm, VM, "a VM")
    check_type("precopy() argument link", link, Link, "a Link")
    check_type("precopy() argument policy", policy, PrecopyPolicy, "a PrecopyPolicy")
    setup_s = policy.setup_ms / 1000
    if destination is not None:
        check_type("destination", destination, Host, "a Host")
        short = []
        if destination.free_memory_mib < vm.memory_mib:
            short.append(f"{destination.free_memory_mib:g} MiB free memory < {vm.memory_mib:g} MiB needed")
        if destination.free_vcpus < vm.vcpus:
            short.append(f"{destination.free_vcpus:g} free vCPUs < {vm.vcpus} needed")
        if short:
            reason = f"preparation failed on {destination.name}: " + "; ".join(short)
            empty = rules.table([], ROUND_COLUMNS)
            phases = rules.phases(setup_s, [], False, 0.0, 0.0, 0.0, 0.0, 0.0)
            return PrecopyResult(vm, link, policy, False, False, rules.STOP_LABELS[rules.NO_CAPACITY], reason, 0,
                                 setup_s, math.nan, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, empty, phases)
    raw = eng.simulate(rules.inputs(vm, link, policy), record=True)
    out = {k: (v[0].item() if isinstance(v, np.ndarray) else v) for k, v in raw.items()}
    code = int(out["code"])
    rounds = rules.table(raw["rounds"], ROUND_COLUMNS)
    return PrecopyResult(
        vm=vm,
        link=link,
        policy=policy,
        converged=bool(out["converged"]),
        completed=bool(out["completed"]),
        stop=rules.STOP_LABELS[code],
        stop_reason=rules.reason(code, vm, policy, out),
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
        phases=rules.phases(setup_s, raw["rounds"], bool(out["completed"]), out["precopy_time_s"], out["copy_s"],
                            link.latency_ms / 1000, policy.resume_ms / 1000, policy.arp_ms / 1000),
    )


# ---- the vectorised grid ----------------------------------------------------------------------
_VM_FIELDS = [f.name for f in fields(VM)]
_LINK_FIELDS = [f.name for f in fields(Link)]
_POLICY_FIELDS = [f.name for f in fields(PrecopyPolicy) if f.name != "name"]
GRID_RESULT_COLUMNS = ["converged", "completed", "stop", "n_rounds", "total_time_s", "downtime_ms", "data_sent_mib"]


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
    vm = VM() if vm is None else check_type("precopy_grid() argument vm", vm, VM, "a VM")
    link = Link() if link is None else check_type("precopy_grid() argument link", link, Link, "a Link")
    policy = PrecopyPolicy.qemu() if policy is None else check_type("precopy_grid() argument policy", policy, PrecopyPolicy, "a PrecopyPolicy")
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
        owner = VM if name in _VM_FIELDS else Link if name in _LINK_FIELDS else PrecopyPolicy
        checked.append(owner.field_spec(name).check_array(f"{owner.__name__}.{name}", arrays[name]))
    try:
        broadcast = np.broadcast_arrays(*checked)
    except ValueError as err:
        shapes = ", ".join(f"{n}{np.shape(a)}" for n, a in zip(names, checked))
        raise ValueError(f"precopy_grid(): parameter arrays do not broadcast together: {shapes}") from err
    flat = {n: np.ascontiguousarray(a).ravel() for n, a in zip(names, broadcast)}
    if not flat:
        raise ValueError("precopy_grid() needs at least one number to vary (e.g. dirty_rate_mib_s=np.linspace(0, 200, 50)); "
                         "for a single scenario call precopy()")
    size = next(iter(flat.values())).size
    if size == 0:
        empty = {key: np.empty(0, dtype=np.int64 if key in ("code", "n_rounds") else bool if key in ("converged", "completed") else float)
                 for key in _GRID_KEYS}
        return _with_results(flat, empty)

    base = rules.inputs(vm, link, policy, check=False)
    inp = dict(base)  # length-1 arrays: the same for every row
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
    _check_rows(memory, region, inp)
    inp["region"] = np.minimum(region, memory * (1.0 - inp["zero_fraction"]))  # writes land in non-zero pages
    out = eng.simulate_many(inp, keys=_GRID_KEYS)
    return _with_results(flat, out)


_GRID_KEYS = ("code", "converged", "completed", "n_rounds", "total_time_s", "downtime_ms", "data_sent_mib")


def _with_results(columns: dict[str, np.ndarray], out: dict[str, np.ndarray]) -> pd.DataFrame:
    labels = [rules.STOP_LABELS[i] for i in range(len(rules.STOP_LABELS))]
    data = {key: np.array(v) for key, v in columns.items()}  # the inputs, copied (never views of the caller's arrays)
    data["converged"] = out["converged"]
    data["completed"] = out["completed"]
    data["stop"] = pd.Categorical.from_codes(out["code"], categories=labels)
    for key in ("n_rounds", "total_time_s", "downtime_ms", "data_sent_mib"):
        data[key] = out[key]
    return pd.DataFrame(data, copy=False)


def _check_rows(memory: np.ndarray, region: np.ndarray, inp: dict[str, np.ndarray]) -> None:
    """The rules that tie several fields together, for every row of a grid (as the dataclasses do)."""
    if np.any(region > memory):
        region, memory = np.broadcast_arrays(region, memory)
        bad = np.flatnonzero(region > memory)[0]
        raise ValueError(f"VM.wws_mib must be at most VM.memory_mib; got wws_mib={region[bad]:g} with memory_mib={memory[bad]:g}")
    small = memory * 1024 < inp["page_size_kib"]
    if np.any(small):
        memory, page = np.broadcast_arrays(memory, inp["page_size_kib"])
        bad = np.flatnonzero(small)[0]
        raise ValueError(f"VM.memory_mib must hold at least one page (VM.page_size_kib = {page[bad]:g} KiB); got {memory[bad]:g} MiB")
    rules.check_zero_page_bytes(inp["zero_page_bytes"], inp["page_size_kib"])
    endless = ~np.isfinite(inp["timeout_s"]) & ~np.isfinite(inp["max_rounds"])
    if np.any(endless):
        raise ValueError("PrecopyPolicy.timeout_s may be None (no timeout) only with a round cap (max_rounds); "
                         f"{int(np.sum(endless))} grid rows have neither")


def precopy_many(vms: Sequence[VM], link: Link | Sequence[Link], policy: PrecopyPolicy | Sequence[PrecopyPolicy] | None = None,
                 ) -> pd.DataFrame:
    """:func:`precopy` for each VM of ``vms``, in one vectorised call.

    Every field of each VM counts (page size, zero pages, pattern, device state...): each row
    equals what :func:`precopy` returns for that VM. ``link`` and ``policy`` are one for all,
    or one per VM (a list as long as ``vms``), e.g. to predict a table of measured runs that
    each had their own limits.

    Returns
    -------
    pandas.DataFrame
        One row per VM, in order: ``memory_mib``, ``dirty_rate_mib_s``, then the columns of
        :func:`precopy_grid` (``converged``, ``completed``, ``stop``, ``n_rounds``,
        ``total_time_s``, ``downtime_ms``, ``data_sent_mib``).

    Examples
    --------
    >>> df = precopy_many([VM(memory_mib=1024), VM(memory_mib=2048, page_size_kib=2048)], Link(bandwidth_mib_s=128))
    >>> df["n_rounds"].tolist(), df["total_time_s"].round(2).tolist()
    ([1, 1], [8.03, 16.03])
    >>> tight, loose = PrecopyPolicy.qemu(downtime_limit_ms=10), PrecopyPolicy.qemu(downtime_limit_ms=2000)
    >>> busy = VM(memory_mib=1024, dirty_rate_mib_s=200, wws_mib=128)
    >>> precopy_many([busy, busy], Link(), [tight, loose])["converged"].tolist()
    [False, True]
    """
    policy = PrecopyPolicy.qemu() if policy is None else policy
    if isinstance(vms, VM) or not isinstance(vms, Sequence) or len(vms) == 0:
        raise TypeError(f"vms must be a non-empty list of VM; got {type(vms).__name__}")
    links = _one_each("link", link, Link, "a Link", len(vms))
    policies = _one_each("policy", policy, PrecopyPolicy, "a PrecopyPolicy", len(vms))
    parts = []
    for i, (vm, ln, pol) in enumerate(zip(vms, links, policies)):
        check_type(f"vms[{i}]", vm, VM, "a VM")
        parts.append(rules.inputs(vm, ln, pol))
    inp = {key: np.concatenate([p[key] for p in parts]) for key in rules.INPUTS}
    out = eng.simulate_many(inp, keys=_GRID_KEYS)
    return _with_results({"memory_mib": inp["memory_mib"], "dirty_rate_mib_s": inp["rate"]}, out)


def _one_each(name: str, value: Any, cls: type, what: str, n: int) -> list:
    """``value`` for each of ``n`` scenarios: one object repeated, or a list of exactly ``n``."""
    if isinstance(value, cls):
        return [value] * n
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != n:
        raise TypeError(f"{name} must be {what} or a list of {n} (one per VM); got {type(value).__name__}"
                        + (f" of length {len(value)}" if isinstance(value, Sequence) and not isinstance(value, str) else ""))
    for i, item in enumerate(value):
        check_type(f"{name}[{i}]", item, cls, what)
    return list(value)


def _replace_checked(vm: VM, changes: dict[str, Any]) -> VM:
    return vm.replace(**changes) if changes else vm
