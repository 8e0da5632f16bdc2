"""Advance reservations: discount and capacity guarantee apart, overflow, delivery, commitment risk."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from vmlab import HPA, AdvanceReservation, ThresholdAutoscaler, commitment_risk, demand, simulate_provisioning

TRACE = demand.make("flash_sale", days=2, seed=1)
HOURS = len(TRACE) / 60


def test_presets_separate_the_discount_from_the_capacity_guarantee():
    sp = AdvanceReservation.savings_plan(reserved_vms=20, discount=0.3)
    zonal = AdvanceReservation.zonal_reserved_instances(reserved_vms=20, discount=0.3)
    odcr = AdvanceReservation.capacity_reservation(reserved_vms=20)
    assert (sp.discount, sp.capacity_guaranteed) == (0.3, False)
    assert (zonal.discount, zonal.capacity_guaranteed) == (0.3, True)
    assert (odcr.discount, odcr.capacity_guaranteed, odcr.term_days) == (0.0, True, 0.0)
    assert AdvanceReservation().capacity_guaranteed  # the lecture notes: the provider sets capacity aside


def test_only_a_capacity_guarantee_keeps_vms_running_in_a_shortage():
    # the region can run only 10 on-demand VMs for this customer: a zonal reservation or a
    # capacity reservation still gets its 20; a Savings Plan's 20 are ordinary on-demand VMs.
    # The bill is the same either way: the commitment is paid whether used or not.
    runs = {
        name: simulate_provisioning(TRACE, res, on_demand_limit_vms=10)
        for name, res in {
            "zonal": AdvanceReservation.zonal_reserved_instances(reserved_vms=20),
            "savings plan": AdvanceReservation.savings_plan(reserved_vms=20),
            "capacity reservation": AdvanceReservation.capacity_reservation(reserved_vms=20),
        }.items()
    }
    assert runs["zonal"].timeline["vms_serving"].max() == 20
    assert runs["savings plan"].timeline["vms_serving"].max() == 10
    assert runs["savings plan"].unmet_fraction > runs["zonal"].unmet_fraction
    assert_allclose(runs["zonal"].cost_usd, runs["savings plan"].cost_usd)
    assert_allclose(runs["zonal"].cost_usd, 20 * 0.10 * 0.7 * HOURS)
    assert_allclose(runs["capacity reservation"].cost_usd, 20 * 0.10 * HOURS)  # on-demand price, no discount
    unlimited = simulate_provisioning(TRACE, AdvanceReservation.savings_plan(reserved_vms=20))
    assert_allclose(unlimited.unmet_fraction, runs["zonal"].unmet_fraction)


def test_the_on_demand_limit_refuses_launches():
    r = simulate_provisioning(TRACE, HPA(max_vms=200), on_demand_limit_vms=8)
    assert r.peak_vms <= 8 and r.refused_vms > 0
    free = simulate_provisioning(TRACE, HPA(max_vms=200))
    assert free.refused_vms == 0 and free.peak_vms > 8 and free.unmet_fraction < r.unmet_fraction
    overflow = AdvanceReservation.zonal_reserved_instances(reserved_vms=10, overflow_to_on_demand=True)
    capped = simulate_provisioning(TRACE, overflow, on_demand_limit_vms=5)
    assert capped.peak_vms <= 15 and capped.refused_vms > 0


def test_reservation_overflow_and_delivery():
    p50 = AdvanceReservation.from_forecast(TRACE, capacity_per_vm=100, percentile=50)
    strict = simulate_provisioning(TRACE, p50)
    overflow = simulate_provisioning(TRACE, p50.replace(overflow_to_on_demand=True))
    assert strict.unmet_fraction > 0.05
    assert overflow.unmet_fraction < strict.unmet_fraction / 5
    assert overflow.on_demand_cost_usd > 0 and strict.on_demand_cost_usd == 0
    assert (overflow.timeline["vms_serving"] >= p50.reserved_vms).all()
    assert_allclose(strict.reserved_cost_usd, p50.reserved_vms * 0.10 * (1 - p50.discount) * HOURS)
    late = simulate_provisioning(TRACE, AdvanceReservation(reserved_vms=30, delivery_after_s=6 * 3600))
    assert (late.timeline["capacity_rps"].iloc[: 6 * 60] == 0).all()
    assert (late.timeline["capacity_rps"].iloc[6 * 60 :] == 3000).all()
    assert_allclose(late.reserved_cost_usd, 30 * 0.10 * 0.7 * (HOURS - 6))
    # any elastic policy can take the overflow
    thr = simulate_provisioning(TRACE, p50.replace(overflow=ThresholdAutoscaler(min_vms=0, max_vms=100), overflow_to_on_demand=True))
    assert thr.n_scaling_actions > 0 and thr.unmet_fraction < strict.unmet_fraction


# --- commitment risk ------------------------------------------------------------------------------


def test_a_commitment_pays_its_discount_when_the_need_lasts():
    res = AdvanceReservation(reserved_vms=10, discount=0.4, term_days=1095)
    risk = commitment_risk(res, price_per_vm_hour=0.10)
    hours = 1095 * 24
    assert_allclose(risk.cost_on_demand_only_usd, 10 * 0.10 * hours)
    assert_allclose(risk.cost_with_commitment_usd, 10 * 0.06 * hours)
    assert_allclose(risk.saving_usd, 0.4 * 10 * 0.10 * hours)
    assert risk.mean_use == pytest.approx(1.0) and risk.unused_vm_hours == pytest.approx(0.0)
    assert_allclose(risk.table["days"].sum(), 1095)


def test_a_workload_that_ends_early_leaves_the_rest_of_the_term_to_pay():
    res = AdvanceReservation(reserved_vms=10, discount=0.4, term_days=1095)
    risk = commitment_risk(res, ends_after_days=365)
    # you pay the whole term at 0.06 $/h per VM and needed one year at 0.10 $/h
    assert_allclose(risk.saving_usd, 10 * 0.10 * 365 * 24 - 10 * 0.06 * 1095 * 24)
    assert_allclose(risk.mean_use, 1 / 3)
    assert_allclose(risk.unused_vm_hours, 10 * 730 * 24)
    assert risk.table["cumulative_saving_usd"].iloc[-1] == pytest.approx(risk.saving_usd)
    # a capacity reservation has no term: it is cancelled with the workload, nothing to lose
    odcr = commitment_risk(AdvanceReservation.capacity_reservation(reserved_vms=10), ends_after_days=90)
    assert odcr.saving_usd == pytest.approx(0.0) and odcr.unused_vm_hours == pytest.approx(0.0)


def test_demand_decline_and_needs_above_the_reservation():
    res = AdvanceReservation(reserved_vms=10, discount=0.3, term_days=365)
    shrinking = commitment_risk(res, decline_per_year=0.5)
    assert shrinking.table["needed_vms"].is_monotonic_decreasing
    assert shrinking.mean_use < 1 and shrinking.saving_usd < commitment_risk(res).saving_usd
    more = commitment_risk(res, needed_vms=15)
    assert (more.table["on_demand_usd"] > 0).all()
    assert_allclose(more.saving_usd, 0.3 * 10 * 0.10 * 365 * 24)  # only the reserved part is cheaper


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    discount=st.floats(0.0, 0.72),
    decline=st.floats(0.0, 0.9),
    end=st.one_of(st.none(), st.floats(1.0, 1095.0)),
    term=st.sampled_from([365.0, 1095.0]),
)
def test_a_commitment_pays_exactly_when_use_beats_one_minus_the_discount(discount, decline, end, term):
    # with the need never above the reservation: saving = on-demand(used) - committed
    # = price x reserved hours x (mean_use - (1 - discount))
    res = AdvanceReservation(reserved_vms=10, discount=discount, term_days=term)
    risk = commitment_risk(res, decline_per_year=decline, ends_after_days=end)
    reserved_hours = 10 * term * 24
    assert_allclose(risk.saving_usd, 0.10 * reserved_hours * (risk.mean_use - risk.break_even_use), atol=1e-6)
    assert math.isclose(risk.break_even_use, 1 - discount)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: commitment_risk("10 VMs"), TypeError, "commitment_risk.reservation"),
        (lambda: commitment_risk(AdvanceReservation(), decline_per_year=1.5), ValueError, "commitment_risk.decline_per_year"),
        (lambda: commitment_risk(AdvanceReservation(), ends_after_days=-1), ValueError, "commitment_risk.ends_after_days"),
        (lambda: commitment_risk(AdvanceReservation(), period_days=0), ValueError, "commitment_risk.period_days"),
        (lambda: AdvanceReservation(term_days=-1), ValueError, "AdvanceReservation.term_days"),
        (lambda: AdvanceReservation(capacity_guaranteed="yes"), TypeError, "AdvanceReservation.capacity_guaranteed"),
        (lambda: AdvanceReservation.from_forecast(TRACE, capacity_per_vm=1e-9), ValueError, "at most 100000"),
    ],
)
def test_bad_reservation_input_names_the_parameter(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_from_forecast_reads_series_frames_and_plain_arrays_of_demand():
    assert AdvanceReservation.from_forecast(TRACE, capacity_per_vm=100).reserved_vms == math.ceil(
        np.percentile(TRACE["demand"], 95) / 100
    )
    assert AdvanceReservation.from_forecast(TRACE["demand"], capacity_per_vm=100, percentile=100).sized_from == "P100 of history x 1"
    assert AdvanceReservation.from_forecast([100.0, 250.0], capacity_per_vm=100, percentile=100).reserved_vms == 3
    with pytest.raises(TypeError, match="from_forecast.history"):
        AdvanceReservation.from_forecast(["a"], capacity_per_vm=100)
