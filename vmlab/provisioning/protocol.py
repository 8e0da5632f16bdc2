"""The contract between a provisioning strategy and :func:`~vmlab.simulate_provisioning`.

A *strategy* is any object with a ``name``, a decision period ``period_s`` and a method
``decide(obs) -> int``: every ``period_s`` seconds of simulated time the simulator hands it an
:class:`Observation` (what a monitoring dashboard shows at that moment) and the strategy answers
with the number of on-demand VMs it wants to own. The simulator launches or releases the
difference, with the strategy's delays, and bills them. Writing an autoscaler of your own is
writing such a class:

>>> import math
>>> from vmlab import demand, simulate_provisioning
>>> class KeepUtilisationNear:
...     '''Size the group for 70 % utilisation, once a minute.'''
...     name = "my rule: 70 %"
...     period_s = 60.0
...     warmup_s = 90.0                       # launch -> serving, s (optional, default 0)
...     def decide(self, obs):
...         return math.ceil(obs.demand_rps / (0.7 * obs.capacity_per_vm))
>>> r = simulate_provisioning(demand.diurnal(days=1, seed=0), KeepUtilisationNear())
>>> r.name, bool(0.5 < r.mean_utilisation < 0.8)
('my rule: 70 %', True)

Optional attributes (the simulator reads them when present, with the defaults shown):

=====================  ==========  ==============================================================
``launch_delay_s``     0           decision -> launch request accepted (a person's work)
``allocation_s``       0           request accepted -> VM ``running`` (EC2 ``pending``: not billed)
``warmup_s``           0           ``running`` -> the VM serves load (boot, app start; billed)
``release_delay_s``    0           decision -> VMs released
``metric_window_s``    0           ``obs.utilisation``/``obs.demand_rps`` are means over this window
``metric_lag_s``       0           ... ending this long before the decision
``min_vms``            0           the simulator keeps the answer between ``min_vms`` and
``max_vms``            VM_LIMIT    ``max_vms`` (like an Auto Scaling group's bounds)
``initial(d, c)``      ``min_vms`` VMs already serving when the trace starts, given the first
                                   demand sample ``d`` and ``capacity_per_vm`` ``c``
``reservation``        None        a :class:`ReservedPool` (see :class:`vmlab.AdvanceReservation`)
``kind``, ``trigger``, "Custom"    the summary table's type and its columns from the lecture notes
``timing``,
``flexibility``
=====================  ==========  ==============================================================

State a strategy keeps between decisions (counters, timers, past recommendations) goes in
``obs.memory``, a dictionary the simulator creates empty for each run, so the strategy object
itself can stay a frozen parameter set and be reused for many runs.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = ["Strategy", "Observation", "ReservedPool", "VM_LIMIT", "strategy_attribute"]

VM_LIMIT = 100_000
"""Most VMs one simulated group may hold (strategy bounds, reservations, answers of ``decide``).

A large cloud region has on the order of 10^5 servers; a teaching simulation never needs more,
and the bound keeps every run's cost and memory small."""


class Observation:
    """What a strategy sees at a decision: the metric, the demand and its VMs.

    Attributes
    ----------
    time_s : float
        Seconds since the start of the trace.
    utilisation : float
        The metric: served load / capacity of the serving VMs, 0-1 (capped at 1 like CPU; 1 when
        nothing serves and demand is positive), averaged over the strategy's ``metric_window_s``
        and ``metric_lag_s`` old.
    demand_rps : float
        Offered load, requests/s, over the same window.
    capacity_per_vm : float
        Requests/s one serving VM handles at 100 % utilisation.
    vms_serving : int
        VMs serving now, reserved ones included.
    vms_booting : int
        On-demand VMs launched but not serving yet (allocation and warm-up).
    vms_owned : int
        On-demand VMs the strategy controls: serving, booting, and decided but not yet launched
        or released (a person's reaction delay). ``decide`` answers in these terms.
    vms_reserved : int
        Reserved VMs delivered (they serve, but are not the strategy's to release).
    memory : dict
        Scratch space for the strategy's own state, empty at the start of each run.

    Examples
    --------
    >>> obs = Observation(time_s=60.0, utilisation=0.9, demand_rps=900.0, capacity_per_vm=100.0,
    ...                   vms_serving=10, vms_booting=0, vms_owned=10, vms_reserved=0, memory={})
    >>> obs.vms_pending, round(obs.capacity_rps)
    (0, 1000)
    """

    __slots__ = (
        "time_s", "utilisation", "demand_rps", "capacity_per_vm", "vms_serving", "vms_booting",
        "vms_owned", "vms_reserved", "memory",
    )

    def __init__(
        self, *, time_s: float, utilisation: float, demand_rps: float, capacity_per_vm: float,
        vms_serving: int, vms_booting: int, vms_owned: int, vms_reserved: int, memory: dict,
    ) -> None:
        self.time_s = time_s
        self.utilisation = utilisation
        self.demand_rps = demand_rps
        self.capacity_per_vm = capacity_per_vm
        self.vms_serving = vms_serving
        self.vms_booting = vms_booting
        self.vms_owned = vms_owned
        self.vms_reserved = vms_reserved
        self.memory = memory

    @property
    def vms_pending(self) -> int:
        """Net VMs decided but not launched or released yet (a person still at work)."""
        return self.vms_owned - (self.vms_serving - self.vms_reserved) - self.vms_booting

    @property
    def capacity_rps(self) -> float:
        """Requests/s the serving VMs handle at 100 % utilisation."""
        return self.vms_serving * self.capacity_per_vm

    def __repr__(self) -> str:
        return (
            f"Observation(time_s={self.time_s:g}, utilisation={self.utilisation:.3f}, "
            f"demand_rps={self.demand_rps:.1f}, vms_serving={self.vms_serving}, "
            f"vms_booting={self.vms_booting}, vms_owned={self.vms_owned}, vms_reserved={self.vms_reserved})"
        )


@runtime_checkable
class Strategy(Protocol):
    """What :func:`~vmlab.simulate_provisioning` needs from a provisioning strategy.

    ``name`` labels the run; ``period_s`` is the time between decisions in seconds of simulated
    time (independent of the trace's sampling; ``math.inf`` for a strategy that never decides,
    such as a fixed reservation); ``decide(obs)`` returns how many on-demand VMs the strategy
    wants to own (an ``int``; ``None`` keeps the current number). See the module docstring of
    :mod:`vmlab.provisioning.protocol` for the optional attributes and an example.
    """

    name: str
    period_s: float

    def decide(self, obs: Observation) -> int | None:  # pragma: no cover - a protocol
        ...


@dataclass(frozen=True)
class ReservedPool:
    """A strategy's reserved VMs as the simulator sees them (see :class:`vmlab.AdvanceReservation`).

    Attributes
    ----------
    vms : int
        Reserved VMs, billed from ``delivery_after_s`` whether used or not.
    discount : float
        Their price below on-demand, 0-1.
    delivery_after_s : float
        When they become available, seconds after the trace starts.
    capacity_guaranteed : bool
        True: the provider holds the capacity (zonal reserved instances, capacity reservations),
        so the VMs run whatever else happens in the region. False: only the price is reserved
        (Savings Plans, regional reserved instances); the VMs are ordinary on-demand VMs and count
        against ``simulate_provisioning(on_demand_limit_vms=...)``.
    """

    vms: int
    discount: float
    delivery_after_s: float
    capacity_guaranteed: bool


def strategy_attribute(strategy: Any, name: str, default: float, *, minimum: float = 0.0, allow_inf: bool = False) -> float:
    """Read an optional numeric attribute of a strategy, checked like a parameter.

    >>> class Rule:
    ...     warmup_s = -5
    >>> strategy_attribute(Rule(), "warmup_s", 0.0)
    Traceback (most recent call last):
    ...
    ValueError: Rule.warmup_s must be a finite number >= 0; got -5
    """
    value = getattr(strategy, name, default)
    label = f"{type(strategy).__name__}.{name}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{label} must be a number of seconds; got {value!r:.80} of type {type(value).__name__}")
    number = float(value)
    if math.isnan(number) or number < minimum or (math.isinf(number) and not allow_inf):
        allowed = f"a finite number >= {minimum:g}" if not allow_inf else f"a number >= {minimum:g} (inf allowed)"
        raise ValueError(f"{label} must be {allowed}; got {value!r}")
    return number
