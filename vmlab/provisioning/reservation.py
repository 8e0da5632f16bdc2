"""Advance (reserved) provisioning: a pool ordered ahead, a price discount, a capacity guarantee.

A reservation can buy two different things, and clouds sell them separately (AWS, Amazon EC2
User Guide and the whitepaper "Amazon EC2 Reserved Instances and Other AWS Reservation Models"):

* a **discount** for a 1- or 3-year commitment: Savings Plans ("You commit to a consistent amount
  of usage per hour ... for a term of one or three years, and receive a lower price for that
  usage") and *regional* reserved instances ("A Reserved Instance purchased for an AWS Region
  does not provide capacity reservation");
* a **capacity guarantee**: On-Demand Capacity Reservations (billed at the on-demand rate whether
  instances run in them or not; no term, cancel at any time) and *zonal* reserved instances
  ("When you purchase a Reserved Instance in a specific Availability Zone, it provides a capacity
  reservation"), which carry the discount too.

:class:`AdvanceReservation` keeps the two apart: ``discount`` is the price, ``capacity_guaranteed``
says whether the provider holds the capacity (see ``on_demand_limit_vms`` in
:func:`~vmlab.simulate_provisioning` for what that changes), and ``term_days`` is how long you
pay. Committed terms are paid in full whatever the use ("You pay for the entire term of a
Reserved Instance, regardless of actual usage"): :func:`commitment_risk` shows what that costs
when demand shrinks or the workload ends early.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from vmlab._checks import Params, check_number, flag, integer, number
from vmlab.provisioning._common import DAY_S, ceil_count, steps_frame
from vmlab.provisioning.protocol import VM_LIMIT, Observation, ReservedPool

__all__ = ["AdvanceReservation", "CommitmentRisk", "commitment_risk"]


@dataclass(frozen=True, kw_only=True)
class AdvanceReservation(Params):
    """Advance (reserved) provisioning: a fixed pool ordered ahead under a contract.

    The lecture notes' steps: requirement analysis (a forecast of long-term needs, see
    :meth:`from_forecast`), contractual agreement (``term_days``, ``discount``), resource
    reservation by the provider, and delivery into the customer's pool. From
    ``delivery_after_s`` into the trace, ``reserved_vms`` VMs run and are billed at price x
    (1 - discount) whether used or not (the term is pro-rated over the trace). Demand above them
    is unmet, unless ``overflow_to_on_demand`` is on: then ``overflow`` (by default an
    :class:`~vmlab.HorizontalPodAutoscaler` with ``min_vms=0``) adds on-demand VMs on top.

    Parameters
    ----------
    reserved_vms : int
        Size of the reservation.
    term_days : float
        Contract term (1 year = 365, 3 years = 1095); 0 for none (a capacity reservation you can
        cancel at any time).
    discount : float
        Price below on-demand, 0-1. Providers advertise "up to 72 %" (a marketing maximum for
        3-year terms); the default 0.3 is illustrative. 0 for a plain capacity reservation.
    capacity_guaranteed : bool
        Whether the provider holds the capacity for you (zonal reserved instances, capacity
        reservations; the lecture notes' "the provider sets aside dedicated capacity") or only
        the price is reserved (Savings Plans, regional reserved instances).
    delivery_after_s : float
        When the pool is delivered, seconds after the trace starts.
    overflow_to_on_demand : bool
        Whether demand above the reservation may overflow to on-demand VMs.
    overflow : strategy, optional
        The policy for the overflow VMs (any strategy, e.g. :class:`~vmlab.ThresholdAutoscaler`);
        its ``min_vms``/``max_vms`` bound the on-demand VMs.
    analysis_days, negotiation_days, reservation_days : float
        Illustrative durations of the first three steps (for the process timeline).

    Examples
    --------
    >>> AdvanceReservation(reserved_vms=20).discount
    0.3
    >>> AdvanceReservation.savings_plan(reserved_vms=20).capacity_guaranteed
    False
    >>> AdvanceReservation(reserved_vms=-1)
    Traceback (most recent call last):
    ...
    ValueError: AdvanceReservation.reserved_vms must be a whole number >= 0 and <= 100000; got -1
    """

    reserved_vms: int = integer(20, minimum=0, maximum=VM_LIMIT)
    term_days: float = number(365.0, minimum=0, maximum=3650)
    discount: float = number(0.3, minimum=0, maximum=1, max_inclusive=False)
    capacity_guaranteed: bool = flag(True)
    delivery_after_s: float = number(0.0, minimum=0, maximum=3650 * DAY_S)
    overflow_to_on_demand: bool = flag(False)
    overflow: Any = None
    analysis_days: float = number(14.0, minimum=0, maximum=3650)
    negotiation_days: float = number(21.0, minimum=0, maximum=3650)
    reservation_days: float = number(7.0, minimum=0, maximum=3650)
    sized_from: str = field(default="given", compare=False)

    kind = "Advanced"
    trigger = "Contract/Plan"
    timing = "Planned/Future"
    flexibility = "Low (Reserved)"

    def _check_together(self) -> None:
        ov = self.overflow
        if ov is not None and (isinstance(ov, (AdvanceReservation, type)) or not callable(getattr(ov, "decide", None))):
            raise TypeError(
                "AdvanceReservation.overflow must be an elastic strategy with a decide(obs) method "
                f"(e.g. HorizontalPodAutoscaler, ThresholdAutoscaler) or None; got {type(ov).__name__}"
            )
        if self.overflow_to_on_demand and ov is None:
            from vmlab.provisioning.hpa import HorizontalPodAutoscaler

            object.__setattr__(self, "overflow", HorizontalPodAutoscaler(target=0.7, min_vms=0, max_vms=100))
        if not isinstance(self.sized_from, str):
            raise TypeError(f"AdvanceReservation.sized_from must be a string; got {self.sized_from!r:.80}")

    # ---- presets: what AWS sells ----------------------------------------------------------------

    @classmethod
    def savings_plan(cls, *, reserved_vms: int, discount: float = 0.3, term_days: float = 365.0, **kw: Any) -> "AdvanceReservation":
        """A Savings Plan (or regional reserved instances): a discount for a term, no capacity held.

        >>> AdvanceReservation.savings_plan(reserved_vms=8, term_days=1095).term_days
        1095.0
        """
        return cls(reserved_vms=reserved_vms, discount=discount, term_days=term_days, capacity_guaranteed=False, **kw)

    @classmethod
    def zonal_reserved_instances(cls, *, reserved_vms: int, discount: float = 0.3, term_days: float = 365.0, **kw: Any) -> "AdvanceReservation":
        """Zonal reserved instances: the discount and a capacity reservation in one zone."""
        return cls(reserved_vms=reserved_vms, discount=discount, term_days=term_days, capacity_guaranteed=True, **kw)

    @classmethod
    def capacity_reservation(cls, *, reserved_vms: int, **kw: Any) -> "AdvanceReservation":
        """An On-Demand Capacity Reservation: capacity held at the on-demand price, no term.

        >>> r = AdvanceReservation.capacity_reservation(reserved_vms=5)
        >>> r.discount, r.term_days, r.capacity_guaranteed
        (0.0, 0.0, True)
        """
        kw.setdefault("term_days", 0.0)
        return cls(reserved_vms=reserved_vms, discount=0.0, capacity_guaranteed=True, **kw)

    @classmethod
    def from_forecast(
        cls,
        history: pd.DataFrame | pd.Series,
        *,
        capacity_per_vm: float,
        percentile: float = 95.0,
        headroom: float = 0.0,
        **kwargs: Any,
    ) -> "AdvanceReservation":
        """Requirement analysis: size the reservation from past demand.

        reserved_vms = ceil(P_p(history) x (1 + headroom) / capacity_per_vm), where P_p is the
        ``percentile`` of the demand over the planning history (e.g. last month's trace).

        >>> import pandas as pd
        >>> history = pd.Series([100.0, 200.0, 300.0, 400.0, 1000.0])
        >>> AdvanceReservation.from_forecast(history, capacity_per_vm=100, percentile=50).reserved_vms
        3
        >>> AdvanceReservation.from_forecast(history, capacity_per_vm=100, percentile=100).reserved_vms
        10
        """
        from vmlab.provisioning.simulate import trace_values

        cap = check_number("AdvanceReservation.from_forecast.capacity_per_vm", capacity_per_vm, minimum=0, min_inclusive=False)
        pct = check_number("AdvanceReservation.from_forecast.percentile", percentile, minimum=0, maximum=100)
        head = check_number("AdvanceReservation.from_forecast.headroom", headroom, minimum=0, maximum=10)
        if not isinstance(history, (pd.DataFrame, pd.Series)):
            try:
                history = pd.Series(np.asarray(history, dtype=float).ravel())
            except (TypeError, ValueError):
                raise TypeError(
                    "AdvanceReservation.from_forecast.history must be a demand trace or a sequence of numbers; "
                    f"got {type(history).__name__}"
                ) from None
        if len(history) == 0:
            raise ValueError("AdvanceReservation.from_forecast.history is empty: no past demand to forecast from")
        values, _, _ = trace_values(history, name="AdvanceReservation.from_forecast.history")
        level = float(np.percentile(values, pct)) * (1.0 + head)
        vms = ceil_count(level / cap)
        if vms > VM_LIMIT:
            raise ValueError(
                f"AdvanceReservation.from_forecast: P{pct:g} of the history needs {vms:.3g} VMs of "
                f"{cap:g} requests/s; at most {VM_LIMIT} (raise capacity_per_vm)"
            )
        return cls(reserved_vms=vms, sized_from=f"P{pct:g} of history x {1 + head:g}", **kwargs)

    # ---- what the simulator reads ----------------------------------------------------------------

    @property
    def name(self) -> str:
        extra = " + on-demand overflow" if self.overflow_to_on_demand else ""
        return f"Reserved {self.reserved_vms} VMs{extra}"

    @property
    def reservation(self) -> ReservedPool:
        """The pool as the simulator bills and runs it."""
        return ReservedPool(self.reserved_vms, self.discount, self.delivery_after_s, self.capacity_guaranteed)

    def _elastic(self) -> Any:
        return self.overflow if self.overflow_to_on_demand else None

    @property
    def period_s(self) -> float:
        """The overflow policy's decision period (never, without overflow)."""
        e = self._elastic()
        return math.inf if e is None else e.period_s

    def _delay(self, attr: str) -> float:
        e = self._elastic()
        return 0.0 if e is None else float(getattr(e, attr, 0.0))

    launch_delay_s = property(lambda self: self._delay("launch_delay_s"), doc="As the overflow policy, s.")
    allocation_s = property(lambda self: self._delay("allocation_s"), doc="As the overflow policy, s.")
    warmup_s = property(lambda self: self._delay("warmup_s"), doc="As the overflow policy, s.")
    release_delay_s = property(lambda self: self._delay("release_delay_s"), doc="As the overflow policy, s.")
    metric_window_s = property(lambda self: self._delay("metric_window_s"), doc="As the overflow policy, s.")
    metric_lag_s = property(lambda self: self._delay("metric_lag_s"), doc="As the overflow policy, s.")

    @property
    def min_vms(self) -> int:
        e = self._elastic()
        return 0 if e is None else int(getattr(e, "min_vms", 0))

    @property
    def max_vms(self) -> int:
        e = self._elastic()
        return 0 if e is None else int(getattr(e, "max_vms", VM_LIMIT))

    @property
    def boot_s(self) -> float:
        return self.allocation_s + self.warmup_s

    def initial(self, demand_rps: float, capacity_per_vm: float) -> int:
        """On-demand VMs at the start (only with overflow: what the reservation does not cover)."""
        e = self._elastic()
        if e is None or not hasattr(e, "initial"):
            return 0
        need = e.initial(demand_rps, capacity_per_vm)
        if self.delivery_after_s <= 0:
            need -= self.reserved_vms
        return int(min(max(need, self.min_vms), self.max_vms))

    def decide(self, obs: Observation) -> int:
        """The overflow policy's answer (on-demand VMs on top of the pool); 0 without overflow."""
        e = self._elastic()
        return 0 if e is None else e.decide(obs)

    def steps(self) -> pd.DataFrame:
        """The four advance-provisioning steps of the lecture notes (s; durations illustrative).

        Delivery is drawn as one day; the contract then runs for ``term_days``.
        """
        return steps_frame(
            [
                ("Requirement analysis", self.analysis_days * DAY_S, "customer", False),
                ("Contractual agreement", self.negotiation_days * DAY_S, "customer + provider", False),
                ("Resource reservation", self.reservation_days * DAY_S, "provider", False),
                ("Delivery (term and billing start)", DAY_S, "provider", True),
            ]
        )


@dataclass(frozen=True)
class CommitmentRisk:
    """What a reservation costs over its whole term against paying on demand for what is used.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per period: ``day`` (start), ``days``, ``needed_vms``, ``used_vms`` (reserved VMs
        in use), ``unused_vms``, ``commitment_usd`` (the reservation's bill), ``on_demand_usd``
        (needed VMs above the reservation), ``cost_with_commitment_usd``,
        ``cost_on_demand_only_usd`` (the same needs, no reservation) and ``cumulative_saving_usd``.
    cost_with_commitment_usd, cost_on_demand_only_usd : float
        Totals over the term.
    saving_usd : float
        On-demand-only cost minus cost with the commitment; negative when the commitment loses.
    break_even_use : float
        Share of the reservation that must be in use, on average, for it to pay: 1 - discount.
    mean_use : float
        Share of the reservation in use over the term.
    unused_vm_hours : float
        Reserved VM-hours paid for and not needed.
    """

    table: pd.DataFrame
    cost_with_commitment_usd: float
    cost_on_demand_only_usd: float
    saving_usd: float
    break_even_use: float
    mean_use: float
    unused_vm_hours: float


def commitment_risk(
    reservation: AdvanceReservation,
    *,
    needed_vms: float | None = None,
    price_per_vm_hour: float = 0.10,
    decline_per_year: float = 0.0,
    ends_after_days: float | None = None,
    period_days: float = 30.0,
) -> CommitmentRisk:
    """The risk of a 1-3 year commitment: what you pay if demand shrinks or the workload ends.

    Over the term, the VMs needed start at ``needed_vms`` (default: the reservation's size),
    shrink by ``decline_per_year`` (0.3: 30 % fewer a year later, compounding) and drop to 0
    after ``ends_after_days``. With the commitment you pay reserved_vms x price x (1 - discount)
    for every hour of the term, plus on-demand for any need above the reservation; without it,
    needed x price. A commitment pays only while the mean use of the reservation stays above
    1 - discount. A reservation without a term (``term_days=0``, a capacity reservation) is
    cancelled as the need shrinks, over a horizon of ``ends_after_days`` or a year.

    Parameters
    ----------
    reservation : AdvanceReservation
        Its ``reserved_vms``, ``discount`` and ``term_days`` are used.
    needed_vms : float, optional
        VMs the workload needs at the start of the term.
    price_per_vm_hour : float
        On-demand price of a VM-hour, US dollars.
    decline_per_year : float
        Yearly shrinkage of the need, 0-1.
    ends_after_days : float, optional
        The workload ends (needs nothing) after this many days.
    period_days : float
        Length of one row of the table, days.

    Examples
    --------
    Ten VMs for three years at 40 % off, and the workload ends after one year:

    >>> res = AdvanceReservation(reserved_vms=10, discount=0.4, term_days=1095)
    >>> risk = commitment_risk(res, ends_after_days=365)
    >>> round(risk.saving_usd), round(risk.mean_use, 2), risk.break_even_use
    (-7008, 0.33, 0.6)

    The same need lasting the whole term saves 40 %:

    >>> round(commitment_risk(res).saving_usd)
    10512
    """
    if not isinstance(reservation, AdvanceReservation):
        raise TypeError(f"commitment_risk.reservation must be an AdvanceReservation; got {type(reservation).__name__}")
    price = check_number("commitment_risk.price_per_vm_hour", price_per_vm_hour, minimum=0, maximum=1e4)
    need0 = check_number("commitment_risk.needed_vms", reservation.reserved_vms if needed_vms is None else needed_vms,
                         minimum=0, maximum=VM_LIMIT)
    decline = check_number("commitment_risk.decline_per_year", decline_per_year, minimum=0, maximum=1)
    end = check_number("commitment_risk.ends_after_days", ends_after_days, minimum=0, maximum=3650, allow_none=True)
    step = check_number("commitment_risk.period_days", period_days, minimum=1, maximum=365)
    term = reservation.term_days
    horizon = term if term > 0 else (end if end is not None and end > 0 else 365.0)
    starts = np.arange(0.0, horizon, step)
    lengths = np.minimum(starts + step, horizon) - starts
    mid_years = (starts + lengths / 2) / 365.0
    needed = need0 * (1.0 - decline) ** mid_years
    if end is not None:
        # the share of each period before the end still needs VMs
        live = np.clip((end - starts) / lengths, 0.0, 1.0)
        needed = needed * live
    hours = lengths * 24.0
    reserved = np.full_like(needed, float(reservation.reserved_vms))
    if term == 0:  # no commitment: keep only what is needed
        reserved = np.minimum(reserved, np.ceil(needed - 1e-9))
    used = np.minimum(needed, reserved)
    rate = price * (1.0 - reservation.discount)
    commitment = reserved * rate * hours
    above = np.maximum(needed - reserved, 0.0) * price * hours
    with_c = commitment + above
    without = needed * price * hours
    table = pd.DataFrame(
        {
            "day": starts,
            "days": lengths,
            "needed_vms": needed,
            "used_vms": used,
            "unused_vms": reserved - used,
            "commitment_usd": commitment,
            "on_demand_usd": above,
            "cost_with_commitment_usd": with_c,
            "cost_on_demand_only_usd": without,
            "cumulative_saving_usd": np.cumsum(without - with_c),
        }
    )
    reserved_hours = float((reserved * hours).sum())
    return CommitmentRisk(
        table=table,
        cost_with_commitment_usd=float(with_c.sum()),
        cost_on_demand_only_usd=float(without.sum()),
        saving_usd=float((without - with_c).sum()),
        break_even_use=1.0 - reservation.discount,
        mean_use=float((used * hours).sum() / reserved_hours) if reserved_hours > 0 else 0.0,
        unused_vm_hours=float(((reserved - used) * hours).sum()),
    )
