"""What a provisioning run returns, the summary table, and response times from queueing theory."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

__all__ = ["ProvisioningResult", "summary_table", "mmc_response_time_s", "response_times_ms", "BILLING_STARTS_AT"]

BILLING_STARTS_AT = "running"
"""When a VM's bill starts: when it enters ``running``, after the provider's allocation.

The lecture notes put billing at initialisation, after automated allocation; Amazon EC2 bills
instance usage in the ``running`` state and not in ``pending`` (EC2 User Guide, "Instance
lifecycle"). The two agree: a VM is billed from the end of its ``allocation_s`` (not billed)
through its boot and warm-up until it is released. Reserved VMs are billed from delivery,
whether used or not."""


class RenamedColumns(pd.DataFrame):
    """A DataFrame that still answers to its columns' old names, with a ``DeprecationWarning``.

    >>> import warnings
    >>> frame = RenamedColumns({"cost_usd": [1.0]})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     frame["cost"].tolist()
    [1.0]
    >>> caught[0].category.__name__
    'DeprecationWarning'
    """

    RENAMED: ClassVar[dict[str, str]] = {
        "cost": "cost_usd",
        "demand": "demand_rps",
        "capacity": "capacity_rps",
        "unmet": "unmet_rps",
        "vms_running": "vms_serving",
    }

    @property
    def _constructor(self):  # keep the old names through slicing and copies
        return RenamedColumns

    def _new_name(self, key: Any) -> Any:
        if isinstance(key, str) and key in self.RENAMED and key not in self.columns:
            new = self.RENAMED[key]
            warnings.warn(
                f"column {key!r} is now {new!r} (units in the name); the old name will be removed in the next release",
                DeprecationWarning,
                stacklevel=3,
            )
            return new
        return key

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            key = self._new_name(key)
        elif isinstance(key, list):
            key = [self._new_name(k) for k in key]
        return super().__getitem__(key)


def _deprecated(old: str, new: str):
    def getter(self):
        warnings.warn(
            f"ProvisioningResult.{old} is now {new} (units in the name); the old name will be removed in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(self, new)

    return property(getter, doc=f"Deprecated name of :attr:`{new}`.")


@dataclass(frozen=True)
class ProvisioningResult:
    """What :func:`~vmlab.simulate_provisioning` returns: a per-step table and headline numbers.

    Attributes
    ----------
    timeline : pandas.DataFrame
        One row per trace step, each value a mean over the step (VMs can start serving within
        a step): ``time``, ``demand_rps``, ``capacity_rps`` (what the serving VMs can handle),
        ``served_rps``, ``unmet_rps`` (= demand - served), ``utilisation`` (served / capacity,
        0-1), ``vms_serving`` (reserved included), ``vms_booting`` (launched, not serving yet),
        ``vms_billed`` (on-demand VMs from ``running`` on, plus the whole reserved pool).
    scaling_events : pandas.DataFrame
        One row per decision that changed the VM count: ``time`` (when decided), ``action``
        ("scale_out"/"scale_in"), ``change`` (VMs), ``vms_after`` (on-demand VMs owned after it).
    cost_usd : float
        Total bill over the trace, US dollars (prices are per VM-hour in dollars).
    on_demand_cost_usd, reserved_cost_usd : float
        Its two parts.
    vm_hours, on_demand_vm_hours, reserved_vm_hours : float
        Billed VM-hours: the same definition the bill uses (from ``running``), so with
        per-second billing on_demand_cost_usd = on_demand_vm_hours x price exactly.
    unmet_fraction : float
        Share of all requested work that was not served, 0-1.
    sla_violation_minutes : float
        Time during which some demand went unmet, minutes.
    mean_utilisation : float
        Served work / provided capacity, 0-1.
    over_provisioned_vm_hours : float
        Billed VM-hours that served nothing: vm_hours minus the VM-hours the served work needed.
    n_scaling_actions : int
        ``len(scaling_events)``.
    peak_vms : int
        Most VMs held at once (reserved, serving, booting).
    refused_vms : int
        Launches refused because the provider had no on-demand capacity (``on_demand_limit_vms``).
    billing_starts_at : str
        :data:`BILLING_STARTS_AT`.
    """

    timeline: pd.DataFrame
    scaling_events: pd.DataFrame
    strategy: Any
    capacity_per_vm: float
    price_per_vm_hour: float
    billing: str
    step_s: float
    cost_usd: float
    on_demand_cost_usd: float
    reserved_cost_usd: float
    vm_hours: float
    on_demand_vm_hours: float
    reserved_vm_hours: float
    unmet_fraction: float
    sla_violation_minutes: float
    mean_utilisation: float
    over_provisioned_vm_hours: float
    n_scaling_actions: int
    peak_vms: int
    refused_vms: int = 0
    billing_starts_at: str = BILLING_STARTS_AT

    cost = _deprecated("cost", "cost_usd")
    on_demand_cost = _deprecated("on_demand_cost", "on_demand_cost_usd")
    reserved_cost = _deprecated("reserved_cost", "reserved_cost_usd")

    @property
    def name(self) -> str:
        """A short label of the strategy (used in tables and legends)."""
        return str(getattr(self.strategy, "name", type(self.strategy).__name__))

    def summary(self) -> dict[str, Any]:
        """Headline numbers plus the lecture notes' table entries for this strategy's type."""
        s = self.strategy
        return {
            "type": getattr(s, "kind", "Custom"),
            "trigger": getattr(s, "trigger", "Custom"),
            "timing": getattr(s, "timing", "Custom"),
            "flexibility": getattr(s, "flexibility", "Custom"),
            "cost_usd": self.cost_usd,
            "unmet_fraction": self.unmet_fraction,
            "sla_violation_minutes": self.sla_violation_minutes,
            "mean_utilisation": self.mean_utilisation,
            "over_provisioned_vm_hours": self.over_provisioned_vm_hours,
            "vm_hours": self.vm_hours,
            "n_scaling_actions": self.n_scaling_actions,
            "peak_vms": self.peak_vms,
        }


def summary_table(results: Mapping[str, ProvisioningResult]) -> pd.DataFrame:
    """The lecture notes' summary table (type, trigger, timing, flexibility) with numbers from runs.

    Parameters
    ----------
    results : mapping of label -> ProvisioningResult
        Runs on the same trace, e.g. ``{"self-service": r1, "reserved": r2, "auto-scaling": r3}``.

    Returns
    -------
    pandas.DataFrame
        One row per run (index = label): type, trigger, timing, flexibility, cost_usd,
        unmet_fraction, sla_violation_minutes, mean_utilisation, over_provisioned_vm_hours,
        vm_hours, n_scaling_actions, peak_vms.

    Examples
    --------
    >>> from vmlab.provisioning import demand, simulate_provisioning, SelfService, AdvanceReservation, HPA
    >>> t = demand.streaming_spike(days=2, seed=1)
    >>> table = summary_table({"manual": simulate_provisioning(t, SelfService()),
    ...                        "reserved": simulate_provisioning(t, AdvanceReservation(reserved_vms=20)),
    ...                        "auto": simulate_provisioning(t, HPA())})
    >>> table[["trigger", "timing", "flexibility"]]
                       trigger          timing        flexibility
    strategy
    manual        User request       Immediate      High (Manual)
    reserved     Contract/Plan  Planned/Future     Low (Reserved)
    auto      Workload metrics       Real-time  Maximum (Elastic)
    """
    if not isinstance(results, Mapping) or not results:
        raise ValueError("summary_table needs a non-empty mapping of label -> ProvisioningResult")
    rows = {}
    for label, r in results.items():
        if not isinstance(r, ProvisioningResult):
            raise TypeError(f"summary_table: results[{label!r}] must be a ProvisioningResult; got {type(r).__name__}")
        rows[label] = r.summary()
    table = RenamedColumns(pd.DataFrame.from_dict(rows, orient="index"))
    table.index.name = "strategy"
    return table


def mmc_response_time_s(arrival_rps, service_rps: float, servers) -> np.ndarray:
    """Mean response time of an M/M/c queue (Erlang C), seconds; ``inf`` when saturated.

    W = C(c, a) / (c·μ - λ) + 1/μ, with offered load a = λ/μ, utilisation ρ = a/c < 1 and the
    Erlang C probability of waiting C(c, a) = B / (1 - ρ(1 - B)), where B is Erlang B from the
    recursion B(0) = 1, B(k) = a·B(k-1) / (k + a·B(k-1)). Vectorised over ``arrival_rps`` and
    ``servers`` (arrays of the same shape; fractional server counts are rounded down).

    Parameters
    ----------
    arrival_rps : float or array
        Arrival rate λ, requests/s.
    service_rps : float
        Service rate μ of one server (one VM's capacity), requests/s.
    servers : int or array
        Number of servers c (serving VMs).

    Examples
    --------
    One server is M/M/1: W = 1 / (μ - λ).

    >>> float(mmc_response_time_s(50.0, 100.0, 1))
    0.02
    >>> round(float(mmc_response_time_s(150.0, 100.0, 2)), 6)   # C = 9/14, W = C/50 + 1/100
    0.022857
    >>> float(mmc_response_time_s(250.0, 100.0, 2))
    inf
    """
    lam = np.asarray(arrival_rps, dtype=float)
    c = np.floor(np.asarray(servers, dtype=float) + 1e-9)
    lam, c = np.broadcast_arrays(lam, c)
    mu = float(service_rps)
    out = np.full(lam.shape, np.inf)
    stable = (c > 0) & (lam < c * mu)
    if not stable.any():
        return out
    a = lam[stable] / mu
    cs = c[stable]
    b = np.ones_like(a)
    for k in range(1, int(cs.max()) + 1):
        step = k <= cs
        nb = a * b / (k + a * b)
        b = np.where(step, nb, b)
    rho = a / cs
    erlang_c = b / (1.0 - rho * (1.0 - b))
    out[stable] = erlang_c / (cs * mu - lam[stable]) + 1.0 / mu
    return out


def response_times_ms(result: ProvisioningResult) -> pd.Series:
    """Per-step M/M/c mean response time of a run, milliseconds (``inf`` while saturated).

    Each step is treated as a steady M/M/c queue with λ = demand, μ = ``capacity_per_vm`` and
    c = serving VMs (the step's mean, rounded down): Poisson arrivals and exponential service
    times, an optimistic model for web traffic, but it shows how response time explodes as
    utilisation approaches 100 %.

    >>> from vmlab.provisioning import demand, simulate_provisioning, HPA
    >>> r = simulate_provisioning(demand.diurnal(days=1), HPA(target=0.6))
    >>> w = response_times_ms(r)
    >>> bool(w.min() >= 10.0)   # never faster than one service time, 1/100 s
    True
    """
    tl = result.timeline
    values = mmc_response_time_s(tl["demand_rps"].to_numpy(), result.capacity_per_vm, tl["vms_serving"].to_numpy()) * 1000.0
    return pd.Series(values, index=pd.Index(tl["time"], name="time"), name="response_time_ms")
