"""Exercises of notebook 12 · Provisioning compared.

Parameters read (``p.NAME``): DAYS, SEED, CAPACITY_PER_VM, PRICE_PER_VM_HOUR, MAX_VMS,
CHECK_INTERVAL_S, REACTION_DELAY_S, RESERVE_PERCENTILE, DISCOUNT, TERM_YEARS, TARGET, WARMUP_S.

The strategies are the notebook's five contenders, built here the same way
(:func:`contenders`), so every expected value is the model's answer for the notebook's parameters.
"""

from __future__ import annotations

from vmlab.exercises.kinds import Choice, choice, number
from vmlab.provisioning import (
    HPA,
    AdvanceReservation,
    SelfService,
    ThresholdAutoscaler,
    commitment_risk,
    demand,
    simulate_provisioning,
)
from vmlab.provisioning.compare import break_even_discount

NOTEBOOK = "12_provisioning_compared"

HISTORY_SEED_OFFSET = 100
WORLDCUP_RUN = ("1998-06-22", "1998-06-24")
"""Match days run in the notebook (Monday to Wednesday of the last group-stage week)."""
WORLDCUP_HISTORY = ("1998-06-15", "1998-06-17")
"""The same weekdays one week earlier: the requirement analysis' history."""


def contenders(p, history) -> dict:
    """The notebook's five contenders, the reservation sized on ``history``."""
    reserved = AdvanceReservation.from_forecast(history, capacity_per_vm=p.CAPACITY_PER_VM,
                                                percentile=p.RESERVE_PERCENTILE, discount=p.DISCOUNT)
    return {
        "self-service": SelfService(check_interval_s=p.CHECK_INTERVAL_S, reaction_delay_s=p.REACTION_DELAY_S,
                                    max_vms=p.MAX_VMS),
        "reserved": reserved,
        "reserved + overflow": reserved.replace(overflow_to_on_demand=True),
        "HPA": HPA(target=p.TARGET, warmup_s=p.WARMUP_S, max_vms=p.MAX_VMS),
        "thresholds": ThresholdAutoscaler(warmup_s=p.WARMUP_S, max_vms=p.MAX_VMS),
    }


def _trace(p, name):
    return demand.make(name, days=p.DAYS, seed=p.SEED)


def _history(p, name):
    return demand.make(name, days=p.DAYS, seed=p.SEED + HISTORY_SEED_OFFSET)


def _run(p, name, label):
    strategy = contenders(p, _history(p, name))[label]
    return simulate_provisioning(_trace(p, name), strategy, capacity_per_vm=p.CAPACITY_PER_VM,
                                 price_per_vm_hour=p.PRICE_PER_VM_HOUR)


# ---- 12a: the price of a reservation ----------------------------------------------------------
@number("12a", unit="USD", rtol=0.01,
        hint="VMs x on-demand price x (1 - DISCOUNT) x hours of the trace; how much is used does not matter.")
def ex_12a(p):
    return _run(p, "diurnal", "reserved").cost_usd


@ex_12a.solution
def _(p):
    n = contenders(p, _history(p, "diurnal"))["reserved"].reserved_vms
    hours = 24 * p.DAYS
    cost = n * p.PRICE_PER_VM_HOUR * (1 - p.DISCOUNT) * hours
    return (
        f"{n} VMs × {p.PRICE_PER_VM_HOUR:g} USD × (1 − {p.DISCOUNT:g}) × {hours:g} h = **{cost:,.2f} USD**, "
        "whatever the demand. The bill of a reservation is known the day the contract is signed: part of its "
        "appeal to an enterprise budget."
    )


# ---- 12d: who acts more often -----------------------------------------------------------------
@choice("12d", ("self-service", "HPA"),
        feedback={
            "self-service": "The person acts at most once per check interval; the HPA decides every 15 s and "
                            "follows every CI burst.",
            "HPA": "The HPA decides every 15 s and follows every CI burst; the person acts at most once per check. "
                   "That is the flexibility column in numbers: maximum (elastic) against high (manual).",
        },
        hint="One decides at most once per check interval, the other every 15 s.")
def ex_12d(p):
    manual, hpa = _run(p, "dev_test", "self-service"), _run(p, "dev_test", "HPA")
    return "HPA" if hpa.n_scaling_actions > manual.n_scaling_actions else "self-service"


@ex_12d.solution
def _(p):
    manual, hpa = _run(p, "dev_test", "self-service"), _run(p, "dev_test", "HPA")
    winner = ex_12d.expected_value(p)
    return (
        f"**{winner}**: on the dev/test trace the HPA takes {hpa.n_scaling_actions} scaling actions, the person "
        f"{manual.n_scaling_actions}. The HPA decides every 15 s and follows every CI burst; the person looks "
        f"every {p.CHECK_INTERVAL_S / 60:g} min. That is the summary table's flexibility column in numbers."
    )


# ---- 12c: a ticket shop -----------------------------------------------------------------------
ex_12c = Choice(
    "12c",
    options=("self-service", "advance", "dynamic"),
    answer="dynamic",
    feedback={
        "self-service": "A person checking hourly misses the first hour, which is the whole sale.",
        "advance": "A reservation for the spike idles 99 % of the month (a small one for the quiet base is a "
                   "sensible addition, though).",
        "dynamic": "Workload metrics react within minutes. Because the opening time is known, a scheduled "
                   "scale-out shortly before 09:00 (AWS and Kubernetes tools both offer one) removes even the "
                   "warm-up lag.",
    },
    hint="Trigger, timing, flexibility: which one reacts to workload metrics in real time?",
)


# ---- 12b: break-even for a live event ---------------------------------------------------------
@number("12b", rtol=0.05,
        hint="1 - (HPA cost) / (peak VMs x price x hours). Peak VMs: last period's peak / CAPACITY_PER_VM, rounded up.")
def ex_12b(p):
    peak = AdvanceReservation.from_forecast(_history(p, "streaming_spike"), capacity_per_vm=p.CAPACITY_PER_VM,
                                            percentile=100)
    hpa = _run(p, "streaming_spike", "HPA")
    return break_even_discount(hpa.cost_usd, peak.reserved_vms, p.PRICE_PER_VM_HOUR, 24 * p.DAYS)


@ex_12b.solution
def _(p):
    peak = AdvanceReservation.from_forecast(_history(p, "streaming_spike"), capacity_per_vm=p.CAPACITY_PER_VM,
                                            percentile=100)
    hpa = _run(p, "streaming_spike", "HPA")
    full = peak.reserved_vms * p.PRICE_PER_VM_HOUR * 24 * p.DAYS
    d = 1 - hpa.cost_usd / full
    verdict = ("more than the 72 % providers advertise at most: no reservation for the peak can pay"
               if d > 0.72 else "within what providers advertise, but only just for long terms paid upfront")
    return (
        f"{peak.reserved_vms} VMs for {24 * p.DAYS:g} h at {p.PRICE_PER_VM_HOUR:g} USD cost {full:,.2f} USD at the "
        f"on-demand price; the HPA costs {hpa.cost_usd:,.2f} USD. d* = 1 − {hpa.cost_usd:,.2f} / {full:,.2f} = "
        f"**{d:.2f}**: {verdict}. A live event is the textbook case for dynamic provisioning, or a reservation "
        "of the base plus overflow."
    )


# ---- 12e: discount or capacity ----------------------------------------------------------------
ex_12e = Choice(
    "12e",
    options=("a", "b", "c", "d"),
    answer="b",
    feedback={
        "a": "Not only: a Savings Plan reserves no capacity. Its VMs are ordinary on-demand VMs with a lower price, "
             "so they need the region's spare capacity too.",
        "b": "A Savings Plan discounts ordinary on-demand VMs: they need spare capacity like the overflow does. "
             "Zonal reserved instances hold capacity: they run whatever the region has left.",
        "c": "Zonal reserved instances come with a capacity reservation: the provider holds their VMs for you.",
        "d": "Overflow VMs are plain on-demand VMs: they are exactly what a region short of capacity refuses.",
    },
    hint="Which purchase sets capacity aside, and which only lowers the price?",
)


# ---- 12f: the commitment when the workload ends ------------------------------------------------
def worldcup_reserved_vms(p) -> int:
    history = demand.worldcup98(*WORLDCUP_HISTORY)
    return contenders(p, history)["reserved"].reserved_vms


def _commitment(p):
    res = AdvanceReservation.zonal_reserved_instances(reserved_vms=worldcup_reserved_vms(p), discount=p.DISCOUNT,
                                                      term_days=365.0 * p.TERM_YEARS)
    return res, commitment_risk(res, price_per_vm_hour=p.PRICE_PER_VM_HOUR, ends_after_days=365.0)


@number("12f", unit="USD", rtol=0.02, atol=1.0,
        hint="Without the commitment you pay the on-demand price for one year of the VMs; with it, the "
             "discounted price for every hour of the term. Saving = the first minus the second.")
def ex_12f(p):
    return _commitment(p)[1].saving_usd


@ex_12f.solution
def _(p):
    res, risk = _commitment(p)
    year = 24 * 365
    return (
        f"Without the commitment: {res.reserved_vms} VMs × {p.PRICE_PER_VM_HOUR:g} USD × {year:,} h = "
        f"{risk.cost_on_demand_only_usd:,.0f} USD. With it: {res.reserved_vms} × {p.PRICE_PER_VM_HOUR:g} × "
        f"(1 − {p.DISCOUNT:g}) × {year:,} × {p.TERM_YEARS} = {risk.cost_with_commitment_usd:,.0f} USD. Saving: "
        f"**{risk.saving_usd:,.0f} USD** ({'a loss' if risk.saving_usd < 0 else 'still a gain'}). The reservation is "
        f"used {risk.mean_use:.0%} of its term; it pays only above {risk.break_even_use:.0%} (1 − discount)."
    )


EXERCISES = [ex_12a, ex_12b, ex_12c, ex_12d, ex_12e, ex_12f]
