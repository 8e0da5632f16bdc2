"""Tables that compare provisioning runs, so that a notebook cell stays one readable call.

* :func:`compare_provisioning`: every contender on every trace, one summary row each, in a
  :class:`ProvisioningComparison` that also averages over traces (:meth:`~ProvisioningComparison.across_traces`),
  picks the cheapest run within an unmet-demand budget (:meth:`~ProvisioningComparison.cheapest_within`)
  and finds the discount at which a reservation pays (:meth:`~ProvisioningComparison.break_even`).
* :func:`break_even_discount`: that discount, d* = 1 - C_dyn / (n p H).
* :func:`commitment_scenarios`: a 1-3 year commitment under a few futures of the workload.
* :func:`decision_log`: every decision a strategy takes, with the metric it saw.
* :func:`capacity_curves`: demand and the capacity of several runs, ready for
  :func:`~vmlab.demand_figure`.
* :func:`trace_statistics`: mean, peak and peak-to-mean ratio of demand traces.

>>> from vmlab.provisioning import demand, HPA, SelfService
>>> cmp = compare_provisioning({"diurnal": demand.diurnal(days=1, seed=0)},
...                            {"manual": SelfService(), "HPA": HPA()})
>>> cmp.table.index.names, list(cmp.metric("n_scaling_actions").columns)
(FrozenList(['trace', 'strategy']), ['manual', 'HPA'])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from vmlab._checks import check_number, check_type
from vmlab.provisioning.reservation import AdvanceReservation, commitment_risk
from vmlab.provisioning.results import ProvisioningResult, summary_table
from vmlab.provisioning.simulate import simulate_provisioning, trace_values

__all__ = [
    "ADVERTISED_MAX_DISCOUNT",
    "ProvisioningComparison",
    "compare_provisioning",
    "break_even_discount",
    "commitment_scenarios",
    "COMMITMENT_FUTURES",
    "decision_log",
    "capacity_curves",
    "trace_statistics",
]

ADVERTISED_MAX_DISCOUNT = 0.72
"""The largest discount AWS advertises for Savings Plans and reserved instances ("up to 72 %"
below on-demand, for 3-year terms paid upfront): a marketing maximum, not a typical price."""

COMMITMENT_FUTURES: dict[str, dict[str, float]] = {
    "the need lasts the whole term": {},
    "the need shrinks 30 % a year": {"decline_per_year": 0.3},
    "the workload ends after one year": {"ends_after_days": 365.0},
}
"""Futures of a workload for :func:`commitment_scenarios` (keyword arguments of :func:`~vmlab.commitment_risk`)."""

_SUMMARY_MEANS = {
    "relative_cost": "mean",
    "unmet_fraction": "mean",
    "mean_utilisation": "mean",
    "n_scaling_actions": "mean",
}


def _trace_hours(result: ProvisioningResult) -> float:
    return len(result.timeline) * result.step_s / 3600.0


@dataclass(frozen=True)
class ProvisioningComparison:
    """Several strategies run on several traces (see :func:`compare_provisioning`).

    Attributes
    ----------
    runs : dict
        ``runs[trace][label]`` is the :class:`~vmlab.ProvisioningResult` of one contender on one trace.
    table : pandas.DataFrame
        One row per run, indexed by (``trace``, ``strategy``), with the columns of
        :func:`~vmlab.summary_table` (type, trigger, timing, flexibility, cost_usd, unmet_fraction, ...).
    """

    runs: dict[str, dict[str, ProvisioningResult]]
    table: pd.DataFrame

    @property
    def traces(self) -> list[str]:
        return list(self.runs)

    @property
    def strategies(self) -> list[str]:
        """Contender labels, in the order of the first trace."""
        return list(next(iter(self.runs.values())))

    def result(self, trace: str, strategy: str) -> ProvisioningResult:
        """The run of ``strategy`` on ``trace``, with a clear error for an unknown label."""
        if trace not in self.runs:
            raise KeyError(f"no trace {trace!r} in this comparison; traces: {', '.join(self.runs)}")
        if strategy not in self.runs[trace]:
            raise KeyError(f"no strategy {strategy!r} on {trace!r}; strategies: {', '.join(self.runs[trace])}")
        return self.runs[trace][strategy]

    def metric(self, column: str) -> pd.DataFrame:
        """One column of :attr:`table` as a grid: a row per trace, a column per strategy.

        >>> from vmlab.provisioning import demand, HPA
        >>> cmp = compare_provisioning({"a": demand.diurnal(days=1)}, {"HPA": HPA()})
        >>> cmp.metric("peak_vms").shape
        (1, 1)
        """
        if column not in self.table.columns:
            raise KeyError(f"no column {column!r}; columns: {', '.join(map(str, self.table.columns))}")
        grid = self.table[column].unstack("strategy")
        return grid.reindex(index=self.traces, columns=self.strategies)

    def _reference_cost(self, reference: str) -> pd.Series:
        if reference not in self.strategies:
            raise KeyError(f"no strategy {reference!r} to compare with; strategies: {', '.join(self.strategies)}")
        return self.metric("cost_usd")[reference]

    def across_traces(self, reference: str) -> pd.DataFrame:
        """The lecture notes' summary table with numbers averaged over the traces.

        Each trace's costs are divided by the ``reference`` strategy's cost on the same trace
        (``relative_cost``: 1.0 for the reference), so a big trace does not outweigh a small one;
        unmet demand, utilisation and scaling actions are plain means over the traces.

        Returns
        -------
        pandas.DataFrame
            One row per strategy: type, trigger, timing, flexibility, relative_cost,
            unmet_fraction, mean_utilisation, n_scaling_actions.
        """
        ref = self._reference_cost(reference)
        traces = self.table.index.get_level_values("trace")
        with np.errstate(divide="ignore", invalid="ignore"):
            relative = self.table["cost_usd"].to_numpy() / ref.reindex(traces).to_numpy()
        table = self.table.assign(relative_cost=relative)
        words = {col: "first" for col in ("type", "trigger", "timing", "flexibility")}
        out = table.groupby(level="strategy", sort=False).agg({**words, **_SUMMARY_MEANS})
        return out.reindex(self.strategies)

    def cheapest_within(self, unmet_budget: float) -> pd.DataFrame:
        """Per trace, the cheapest strategy that leaves at most ``unmet_budget`` of the demand unmet.

        Returns
        -------
        pandas.DataFrame
            One row per trace: ``choice`` (a strategy label, or "none within budget"),
            its ``cost_usd`` and ``unmet_fraction`` (NaN when none qualifies).
        """
        budget = check_number("cheapest_within.unmet_budget", unmet_budget, minimum=0, maximum=1)
        rows = {}
        for trace in self.traces:
            runs = self.table.xs(trace, level="trace")
            within = runs[runs["unmet_fraction"] <= budget + 1e-12]
            if within.empty:
                rows[trace] = {"choice": "none within budget", "cost_usd": math.nan, "unmet_fraction": math.nan}
            else:
                best = within["cost_usd"].idxmin()
                rows[trace] = {"choice": best, "cost_usd": float(within.loc[best, "cost_usd"]),
                               "unmet_fraction": float(within.loc[best, "unmet_fraction"])}
        out = pd.DataFrame.from_dict(rows, orient="index")
        out.index.name = "trace"
        return out

    def break_even(self, reservations: Mapping[str, AdvanceReservation], reference: str) -> pd.DataFrame:
        """Per trace, the discount at which ``reservations[trace]`` costs what ``reference`` costs.

        The reservation holds ``reserved_vms`` for the whole trace (delivered at its start), so it
        costs n x p x (1 - d) x H; see :func:`break_even_discount`.

        Returns
        -------
        pandas.DataFrame
            One row per trace: reserved_vms, hours, reservation_at_on_demand_usd (n x p x H),
            reference_cost_usd, break_even_discount, and ``within_advertised`` (below
            :data:`ADVERTISED_MAX_DISCOUNT`).
        """
        ref = self._reference_cost(reference)
        rows = {}
        for trace in self.traces:
            if trace not in reservations:
                raise KeyError(f"break_even: no reservation for trace {trace!r}")
            res = check_type(f"break_even.reservations[{trace!r}]", reservations[trace], AdvanceReservation)
            run = self.runs[trace][reference]
            hours = _trace_hours(run)
            price = run.price_per_vm_hour
            d_star = break_even_discount(float(ref[trace]), res.reserved_vms, price, hours)
            rows[trace] = {
                "reserved_vms": res.reserved_vms,
                "hours": hours,
                "reservation_at_on_demand_usd": res.reserved_vms * price * hours,
                "reference_cost_usd": float(ref[trace]),
                "break_even_discount": d_star,
                "within_advertised": bool(d_star < ADVERTISED_MAX_DISCOUNT),
            }
        out = pd.DataFrame.from_dict(rows, orient="index")
        out.index.name = "trace"
        return out


def compare_provisioning(
    traces: Mapping[str, pd.DataFrame] | pd.DataFrame,
    contenders: Mapping[str, Any] | Callable[[pd.DataFrame], Mapping[str, Any]],
    *,
    histories: Mapping[str, pd.DataFrame] | None = None,
    capacity_per_vm: float = 100.0,
    price_per_vm_hour: float = 0.10,
    billing: str = "per_second",
    on_demand_limit_vms: int | None = None,
) -> ProvisioningComparison:
    """Run every contender on every trace with :func:`~vmlab.simulate_provisioning`.

    Parameters
    ----------
    traces : mapping of name -> trace, or one trace
        Demand traces (see :mod:`vmlab.demand`); one trace is named after ``trace.attrs["name"]``.
    contenders : mapping of label -> strategy, or a function history -> mapping
        The strategies to run. A function is called once per trace with that trace's planning
        history (``histories[name]``, or the trace itself when no history is given), so that
        a reservation can be sized by requirement analysis on last period's demand.
    histories : mapping of name -> trace, optional
        Last period's demand per trace, handed to ``contenders`` when it is a function.
    capacity_per_vm, price_per_vm_hour, billing, on_demand_limit_vms
        As in :func:`~vmlab.simulate_provisioning`, the same for every run.

    Returns
    -------
    ProvisioningComparison

    Examples
    --------
    >>> from vmlab.provisioning import demand, AdvanceReservation, HPA
    >>> traces = {"sale": demand.flash_sale(days=2, seed=1)}
    >>> def contenders(history):
    ...     return {"reserved": AdvanceReservation.from_forecast(history, capacity_per_vm=100, percentile=100),
    ...             "HPA": HPA()}
    >>> cmp = compare_provisioning(traces, contenders, histories={"sale": demand.flash_sale(days=2, seed=101)})
    >>> float(cmp.across_traces("HPA").loc["HPA", "relative_cost"])
    1.0
    """
    if isinstance(traces, (pd.DataFrame, pd.Series)):
        traces = {str(getattr(traces, "attrs", {}).get("name", "trace")): traces}
    if not isinstance(traces, Mapping) or not traces:
        raise TypeError("compare_provisioning.traces must be a non-empty mapping of name -> demand trace")
    planned = callable(contenders) and not isinstance(contenders, Mapping)
    if not planned and (not isinstance(contenders, Mapping) or not contenders):
        raise TypeError("compare_provisioning.contenders must be a non-empty mapping of label -> strategy, "
                        "or a function of the planning history returning one")
    if histories is not None and not isinstance(histories, Mapping):
        raise TypeError(f"compare_provisioning.histories must be a mapping of trace name -> trace; got {type(histories).__name__}")
    runs: dict[str, dict[str, ProvisioningResult]] = {}
    for name, trace in traces.items():
        if planned:
            if histories is not None and name not in histories:
                raise KeyError(f"compare_provisioning.histories has no trace {name!r}")
            strategies = contenders(histories[name] if histories is not None else trace)
            if not isinstance(strategies, Mapping) or not strategies:
                raise TypeError("compare_provisioning.contenders(history) must return a non-empty mapping of label -> strategy")
        else:
            strategies = contenders
        runs[str(name)] = {
            str(label): simulate_provisioning(
                trace, strategy, capacity_per_vm=capacity_per_vm, price_per_vm_hour=price_per_vm_hour,
                billing=billing, on_demand_limit_vms=on_demand_limit_vms,
            )
            for label, strategy in strategies.items()
        }
    table = pd.concat({name: pd.DataFrame(summary_table(r)) for name, r in runs.items()}, names=["trace"])
    return ProvisioningComparison(runs=runs, table=table)


def break_even_discount(reference_cost_usd: float, reserved_vms: int, price_per_vm_hour: float, hours: float) -> float:
    """The discount at which a reservation of ``reserved_vms`` for ``hours`` costs ``reference_cost_usd``.

    A reservation of n VMs for H hours at an on-demand price p costs n·p·(1 - d)·H; it is the
    cheaper option when d > d* with

        d* = 1 - C_ref / (n·p·H).

    d* <= 0: the reservation is cheaper even at the on-demand price; d* above what a provider
    offers: no reservation of that size can pay.

    >>> round(break_even_discount(50.0, 10, 0.10, 100.0), 3)
    0.5
    """
    cost = check_number("break_even_discount.reference_cost_usd", reference_cost_usd, minimum=0)
    n = check_number("break_even_discount.reserved_vms", reserved_vms, minimum=0, min_inclusive=False)
    price = check_number("break_even_discount.price_per_vm_hour", price_per_vm_hour, minimum=0, min_inclusive=False)
    h = check_number("break_even_discount.hours", hours, minimum=0, min_inclusive=False)
    return 1.0 - cost / (n * price * h)


def commitment_scenarios(
    reservation: AdvanceReservation,
    *,
    price_per_vm_hour: float = 0.10,
    needed_vms: float | None = None,
    futures: Mapping[str, Mapping[str, float]] | None = None,
) -> pd.DataFrame:
    """A reservation's whole term under a few futures of the workload (see :func:`~vmlab.commitment_risk`).

    Parameters
    ----------
    reservation : AdvanceReservation
        Its ``reserved_vms``, ``discount`` and ``term_days``.
    price_per_vm_hour : float
        On-demand price, US dollars.
    needed_vms : float, optional
        VMs needed at the start of the term (default: the reservation's size).
    futures : mapping of label -> keyword arguments, optional
        ``decline_per_year`` and/or ``ends_after_days`` per future (default :data:`COMMITMENT_FUTURES`).

    Returns
    -------
    pandas.DataFrame
        One row per future: cost_with_commitment_usd, cost_on_demand_only_usd, saving_usd
        (negative: the commitment loses money), mean_use (share of the reserved VM-hours that
        were needed) and break_even_use (1 - discount: the use a commitment needs to pay).

    Examples
    --------
    >>> res = AdvanceReservation(reserved_vms=10, discount=0.4, term_days=1095)
    >>> table = commitment_scenarios(res)
    >>> [bool(s > 0) for s in table["saving_usd"]]
    [True, True, False]
    """
    check_type("commitment_scenarios.reservation", reservation, AdvanceReservation)
    futures = COMMITMENT_FUTURES if futures is None else futures
    if not isinstance(futures, Mapping) or not futures:
        raise TypeError("commitment_scenarios.futures must be a non-empty mapping of label -> keyword arguments")
    rows = {}
    for label, kwargs in futures.items():
        unknown = set(kwargs) - {"decline_per_year", "ends_after_days"}
        if unknown:
            raise ValueError(f"commitment_scenarios.futures[{label!r}]: unknown keys {sorted(unknown)}; "
                             "use decline_per_year and ends_after_days")
        risk = commitment_risk(reservation, needed_vms=needed_vms, price_per_vm_hour=price_per_vm_hour, **kwargs)
        rows[label] = {
            "cost_with_commitment_usd": risk.cost_with_commitment_usd,
            "cost_on_demand_only_usd": risk.cost_on_demand_only_usd,
            "saving_usd": risk.saving_usd,
            "mean_use": risk.mean_use,
            "break_even_use": risk.break_even_use,
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "future"
    return out


class _Recorder:
    """A strategy that delegates everything to ``inner`` and writes down each decision."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.rows: list[tuple] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def decide(self, obs: Any) -> Any:
        outer = obs.memory
        obs.memory = outer.setdefault("inner", {})
        try:
            answer = self._inner.decide(obs)
        finally:
            obs.memory = outer
        wanted = obs.vms_owned if answer is None else answer
        self.rows.append((obs.time_s, obs.utilisation, obs.demand_rps, obs.vms_serving, obs.vms_booting,
                          obs.vms_owned, wanted))
        return answer


def decision_log(trace: pd.DataFrame | pd.Series, strategy: Any, **simulate_kw: Any) -> pd.DataFrame:
    """Every decision ``strategy`` takes on ``trace``: the metric it saw and what it answered.

    Runs :func:`~vmlab.simulate_provisioning` (``simulate_kw`` are its keyword arguments) with
    the strategy wrapped so that each call of ``decide(obs)`` is written down.

    Returns
    -------
    pandas.DataFrame
        One row per decision: ``time`` (trace time), ``utilisation`` and ``demand_rps`` (what the
        strategy saw: means over its metric window, e.g. the last period), ``vms_serving``,
        ``vms_booting``, ``vms_owned``, ``vms_wanted`` (its answer, before the simulator applies
        ``min_vms``/``max_vms`` and the provider's limit), ``change`` (wanted - owned) and
        ``since_scale_out_s`` (seconds since the last earlier decision that scaled out; NaN before
        the first).

    Examples
    --------
    >>> from vmlab.provisioning import demand, ThresholdAutoscaler
    >>> log = decision_log(demand.flash_sale(days=2, seed=1), ThresholdAutoscaler())
    >>> bool((log.loc[log["change"] > 0, "utilisation"] > 0.8).all())
    True
    >>> int(log.loc[log["change"] > 0, "since_scale_out_s"].min())   # 90 s warm-up + 300 s cooldown, next minute
    420
    """
    recorder = _Recorder(strategy)
    simulate_provisioning(trace, recorder, **simulate_kw)
    _, index, _ = trace_values(trace, simulate_kw.get("step_s"))
    cols = ["time_s", "utilisation", "demand_rps", "vms_serving", "vms_booting", "vms_owned", "vms_wanted"]
    log = pd.DataFrame(recorder.rows, columns=cols)
    seconds = log.pop("time_s").to_numpy(dtype=float)
    if isinstance(index, (pd.DatetimeIndex, pd.TimedeltaIndex)):
        times: Any = index[0] + pd.to_timedelta(seconds, unit="s")
    elif isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        times = seconds
    else:
        times = float(index[0]) + seconds
    log.insert(0, "time", np.asarray(times))
    log["change"] = log["vms_wanted"] - log["vms_owned"]
    out_times = pd.Series(np.where(log["change"].to_numpy() > 0, seconds, np.nan)).ffill().shift()
    log["since_scale_out_s"] = seconds - out_times.to_numpy()
    return log


def capacity_curves(
    results: Mapping[str, ProvisioningResult],
    *,
    start: Any = None,
    end: Any = None,
    hours_around_peak: tuple[float, float] | None = None,
) -> dict[str, pd.Series]:
    """Demand and each run's capacity (requests/s) over time, between ``start`` and ``end``.

    The runs must share one trace. ``hours_around_peak=(before, after)`` picks the window
    around the demand's peak instead (on a time index: hours; else: the index's units x 3600).
    The mapping (``"demand"`` first, then one entry per run) goes straight into
    :func:`~vmlab.demand_figure`.

    >>> from vmlab.provisioning import demand, simulate_provisioning, HPA
    >>> t = demand.flash_sale(days=2, seed=1)
    >>> curves = capacity_curves({"HPA": simulate_provisioning(t, HPA())}, start="2025-03-04 08:00")
    >>> list(curves), str(curves["HPA"].index[0])
    (['demand', 'HPA'], '2025-03-04 08:00:00')
    >>> around = capacity_curves({"HPA": simulate_provisioning(t, HPA())}, hours_around_peak=(1, 2))
    >>> len(around["demand"])   # three hours of minutes, both ends included
    181
    """
    if not isinstance(results, Mapping) or not results:
        raise TypeError("capacity_curves.results must be a non-empty mapping of label -> ProvisioningResult")
    curves: dict[str, pd.Series] = {}
    for label, r in results.items():
        check_type(f"capacity_curves.results[{label!r}]", r, ProvisioningResult)
        tl = r.timeline
        time = pd.Index(tl["time"], name="time")
        if not curves:
            curves["demand"] = pd.Series(tl["demand_rps"].to_numpy(), index=time, name="demand")
        elif len(tl) != len(curves["demand"]) or not np.allclose(tl["demand_rps"].to_numpy(), curves["demand"].to_numpy()):
            raise ValueError(f"capacity_curves: run {label!r} was not run on the same trace as the first one")
        curves[str(label)] = pd.Series(tl["capacity_rps"].to_numpy(), index=time, name=str(label))
    if hours_around_peak is not None:
        if start is not None or end is not None:
            raise ValueError("capacity_curves: give start/end or hours_around_peak, not both")
        before, after = (check_number(f"capacity_curves.hours_around_peak[{i}]", h, minimum=0, maximum=24 * 3650)
                         for i, h in enumerate(hours_around_peak))
        peak = curves["demand"].idxmax()
        if isinstance(peak, (pd.Timestamp, pd.Timedelta)):
            start, end = peak - pd.Timedelta(hours=before), peak + pd.Timedelta(hours=after)
        else:
            start, end = peak - before * 3600.0, peak + after * 3600.0
    return {label: series.loc[start:end] for label, series in curves.items()}


def trace_statistics(traces: Mapping[str, pd.DataFrame], *, capacity_per_vm: float = 100.0) -> pd.DataFrame:
    """Mean and peak demand of each trace, their ratio, and the VMs the peak needs.

    >>> import pandas as pd
    >>> trace_statistics({"t": pd.Series([100.0, 300.0, 200.0])}, capacity_per_vm=100).iloc[0].tolist()
    [200.0, 300.0, 1.5, 3.0]
    """
    cap = check_number("trace_statistics.capacity_per_vm", capacity_per_vm, minimum=0, min_inclusive=False)
    if not isinstance(traces, Mapping) or not traces:
        raise TypeError("trace_statistics.traces must be a non-empty mapping of name -> trace")
    rows = {}
    for name, trace in traces.items():
        values, _, _ = trace_values(trace, name=f"trace_statistics.traces[{name!r}]")
        mean, peak = float(values.mean()), float(values.max())
        rows[name] = {
            "mean_rps": mean,
            "peak_rps": peak,
            "peak_to_mean": peak / mean if mean > 0 else math.inf,
            "vms_at_peak": float(math.ceil(peak / cap - 1e-9)),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "trace"
    return out
