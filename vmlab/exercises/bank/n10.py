"""Exercises of notebook 10 · Provisioning types.

Parameters read (``p.NAME``): TRACE, DAYS, SEED, CAPACITY_PER_VM, ALLOCATION_S, BOOT_S,
CHECK_INTERVAL_S, REACTION_DELAY_S, RESERVE_PERCENTILE, TARGET_UTILISATION.
"""

from __future__ import annotations

import numpy as np

from vmlab.exercises.kinds import Choice, Match, number
from vmlab.provisioning import AdvanceReservation, SelfService, demand, hpa_desired_replicas

NOTEBOOK = "10_provisioning_types"

HISTORY_SEED_OFFSET = 100
"""Last period's demand is the same shape with seed SEED + 100 (the notebook says so)."""


def _manual(p) -> SelfService:
    return SelfService(check_interval_s=p.CHECK_INTERVAL_S, reaction_delay_s=p.REACTION_DELAY_S,
                       allocation_s=p.ALLOCATION_S, initialisation_s=p.BOOT_S, max_vms=1000)


def _history(p):
    return demand.make(p.TRACE, days=p.DAYS, seed=p.SEED + HISTORY_SEED_OFFSET)


# ---- 10e: use cases (asked first, before the sections that explain them) -------------------
SELF, ADVANCE, DYNAMIC = "self-service", "advance", "dynamic"

ex_10e = Match(
    "10e",
    {
        "rapid prototyping": SELF,
        "dev/test environments": SELF,
        "small business hosting": SELF,
        "enterprise core systems": ADVANCE,
        "regulated industry workloads": ADVANCE,
        "high-security private clouds": ADVANCE,
        "e-commerce sales events": DYNAMIC,
        "media streaming spikes": DYNAMIC,
        "cost-optimized production apps": DYNAMIC,
    },
    options=(SELF, ADVANCE, DYNAMIC),
    feedback={
        "rapid prototyping": "A developer starts a VM for an afternoon and deletes it: no contract, no policy "
                             "to write, a few clicks in the console. Self-service.",
        "dev/test environments": "Test machines are started in the morning and stopped at night by a person (or "
                                 "a script a person runs); minutes of delay do not matter. Self-service.",
        "small business hosting": "A handful of VMs whose load changes over weeks: someone resizes them in the "
                                  "console now and then. Self-service.",
        "enterprise core systems": "ERP and core banking: steady load planned in yearly budgets, and capacity that "
                                   "must be there. A contract, planned ahead: advance provisioning.",
        "regulated industry workloads": "Auditors want contracts and SLAs, data residency and often dedicated "
                                        "hardware, negotiated once: advance provisioning.",
        "high-security private clouds": "Isolated hardware set aside ahead, with no shared pool to burst into: "
                                        "advance provisioning.",
        "e-commerce sales events": "Traffic jumps to several times the usual load within minutes: only workload "
                                   "metrics react in time. Dynamic provisioning.",
        "media streaming spikes": "A live event fills up and empties within hours: capacity must follow the "
                                  "audience by itself. Dynamic provisioning.",
        "cost-optimized production apps": "Pay at night for the night's load: the group shrinks and grows with "
                                          "demand. Dynamic provisioning.",
    },
    hint="Who acts (a person, a contract, the system), and how fast must capacity follow the load?",
)


# ---- 10a: the self-service latency ------------------------------------------------------------
@number("10a", unit="min", rtol=0.05,
        hint="The reaction delay, then login & selection (60 s), configuration (120 s), allocation and boot.")
def ex_10a(p):
    return _manual(p).provisioning_latency_s / 60


@ex_10a.solution
def _(p):
    s = _manual(p)
    total = s.provisioning_latency_s
    provider = s.allocation_s + s.initialisation_s
    return (
        f"Reaction {s.reaction_delay_s:g} s + login & selection {s.login_selection_s:g} s + configuration "
        f"{s.configuration_s:g} s + allocation {s.allocation_s:g} s + boot {s.initialisation_s:g} s = {total:.0f} s, "
        f"**{total / 60:.1f} minutes**. The provider's part (allocation and boot) is {provider:.0f} s, "
        f"{provider / total:.0%} of it; the rest is the person."
    )


# ---- 10b: sizing a reservation ----------------------------------------------------------------
@number("10b", unit="VMs", rtol=0.0, atol=0.5,
        hint="history['demand'].quantile(RESERVE_PERCENTILE / 100) / CAPACITY_PER_VM, rounded up.")
def ex_10b(p):
    return AdvanceReservation.from_forecast(_history(p), capacity_per_vm=p.CAPACITY_PER_VM,
                                            percentile=p.RESERVE_PERCENTILE).reserved_vms


@ex_10b.solution
def _(p):
    level = float(np.percentile(_history(p)["demand"], p.RESERVE_PERCENTILE))
    n = ex_10b.expected_value(p)
    return (
        f"The {p.RESERVE_PERCENTILE:g}th percentile of last period's demand is {level:,.0f} requests/s; "
        f"{level:,.0f} / {p.CAPACITY_PER_VM:g} = {level / p.CAPACITY_PER_VM:.2f}, rounded up: **{n} VMs**. "
        "The percentile throws away the busiest minutes of the period: whatever demand lies above it goes "
        "unmet, unless it may overflow to on-demand VMs."
    )


# ---- 10c: discount or capacity ----------------------------------------------------------------
ex_10c = Choice(
    "10c",
    options=("a", "b", "c", "d"),
    answer="c",
    feedback={
        "a": "A Savings Plan lowers the price of what you run, but reserves no capacity: on a day the zone is "
             "short of VMs, the ledger's VMs may not start.",
        "b": "Regional reserved instances give the discount anywhere in the region, and for that reason "
             "reserve no capacity.",
        "c": "Zonal reserved instances carry both: the discount of a 1- or 3-year term and a capacity "
             "reservation in that Availability Zone.",
        "d": "A capacity reservation holds the VMs, but bills them at the on-demand price, used or not: "
             "no discount, unless a Savings Plan is bought on top (a second purchase).",
    },
    hint="Which purchase reserves capacity, and which of those also gives a discount?",
)


# ---- 10d: one HPA decision --------------------------------------------------------------------
@number("10d", unit="VMs", rtol=0.0, atol=0.5,
        hint="ceil(12 x 0.75 / TARGET_UTILISATION), unless the ratio 0.75 / target is within 10 % of 1.")
def ex_10d(p):
    return hpa_desired_replicas(12, 0.75, p.TARGET_UTILISATION)


@ex_10d.solution
def _(p):
    ratio = 0.75 / p.TARGET_UTILISATION
    n = ex_10d.expected_value(p)
    if abs(ratio - 1) <= 0.1:
        return (f"The ratio is 0.75 / {p.TARGET_UTILISATION:g} = {ratio:.3f}, within the 10 % tolerance: "
                f"the HPA leaves the group at **{n} VMs**.")
    return (f"The ratio is 0.75 / {p.TARGET_UTILISATION:g} = {ratio:.3f}, outside the 10 % tolerance, so "
            f"⌈12 × {ratio:.3f}⌉ = **{n} VMs**.")


EXERCISES = [ex_10a, ex_10b, ex_10c, ex_10d, ex_10e]
