"""Demand traces for the provisioning models: generated, seeded shapes and a CSV loader.

Every trace is a :class:`pandas.DataFrame` with a regular :class:`~pandas.DatetimeIndex` named
``time`` and one column ``demand`` in requests per second (a load that a VM of
``capacity_per_vm`` requests/s can serve). ``trace.attrs`` carries ``name``, ``unit`` and
``step_s``. The generators are deterministic for a given ``seed`` (a
:class:`numpy.random.Generator` is built from it; no global state), so a notebook, a test and
the shipped CSV files in ``data/traces/`` all see the same numbers.

The four shapes follow the use cases of the provisioning types:

==================  =====================================================================
``diurnal``         web traffic: a daily cycle (trough before dawn, evening peak), quieter
                    weekends, correlated noise. Cost-optimised production apps.
``flash_sale``      e-commerce sales event: ordinary diurnal traffic, then a jump to several
                    times the normal peak at the announced start, decaying over hours.
``streaming_spike`` media streaming / live event: audience ramps up in the minutes before the
                    start, a plateau for the event, a cliff when it ends.
``dev_test``        development and test: office hours on weekdays, bursts from CI runs,
                    almost nothing at night and at weekends. Rapid prototyping, dev/test.
==================  =====================================================================

A real trace ships too: :func:`worldcup98`, the 1998 FIFA World Cup web site's requests per
minute over the 15 days of the group stage. :func:`from_csv` loads any per-minute request log
(NASA-HTTP 1995, Wikipedia page views, Azure Functions 2019, or a user's own) and resamples it
onto a regular grid.

Examples
--------
>>> t = flash_sale(days=2, seed=1)
>>> t.index.name, list(t.columns), len(t), t.attrs["step_s"]
('time', ['demand'], 2880, 60.0)
>>> bool(t["demand"].max() > 3 * t["demand"].median())
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from vmlab._checks import check_choice, check_int, check_number
from vmlab.provisioning._files import MAX_SAMPLES, WORLDCUP98_FILE, from_csv, worldcup98

__all__ = [
    "diurnal",
    "flash_sale",
    "streaming_spike",
    "dev_test",
    "from_csv",
    "worldcup98",
    "make",
    "TRACES",
    "DEFAULT_START",
    "MAX_SAMPLES",
    "WORLDCUP98_FILE",
]

DEFAULT_START = "2025-03-03"
"""Traces start on a Monday at midnight (so weekdays and weekends fall where expected)."""

_DAY_S = 86400.0


def _grid(fn: str, days: float, step_s: float, start) -> tuple[pd.DatetimeIndex, np.ndarray]:
    n = int(round(days * _DAY_S / step_s))
    if n < 1:
        raise ValueError(f"{fn}: days * 86400 / step_s must give at least one step; got days={days:g}, step_s={step_s:g}")
    if n > MAX_SAMPLES:
        raise ValueError(
            f"{fn}: days={days:g} at step_s={step_s:g} gives {n:,} samples; at most {MAX_SAMPLES:,} "
            "(use a larger step_s or fewer days)"
        )
    first = _start(fn, start)
    index = pd.date_range(first, periods=n, freq=pd.Timedelta(seconds=step_s), name="time")
    seconds = np.arange(n) * step_s
    return index, seconds


def _start(fn: str, start) -> pd.Timestamp:
    """The first timestamp of a generated trace, checked (a date between 1900 and 2200)."""
    first = pd.NaT
    if isinstance(start, (str, pd.Timestamp, np.datetime64)) or hasattr(start, "isoformat"):  # not numbers
        try:
            first = pd.Timestamp(start)
        except (ValueError, TypeError, OverflowError):
            first = pd.NaT
    if pd.isna(first) or not pd.Timestamp("1900-01-01") <= first.tz_localize(None) <= pd.Timestamp("2200-01-01"):
        raise ValueError(f"{fn}.start must be a date or timestamp between 1900 and 2200, such as '2025-03-03'; got {start!r:.80}")
    return first


def _rng(fn: str, seed) -> np.random.Generator:
    """A Generator from ``seed`` (a whole number >= 0) or the Generator itself."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(check_int(f"{fn}.seed", seed, minimum=0, maximum=2**63 - 1))


def _frame(index: pd.DatetimeIndex, values: np.ndarray, name: str, step_s: float) -> pd.DataFrame:
    frame = pd.DataFrame({"demand": np.maximum(values, 0.0)}, index=index)
    frame.attrs.update(name=name, unit="requests/s", step_s=float(step_s))
    return frame


def _noise(rng: np.random.Generator, n: int, sigma: float, corr_steps: float) -> np.ndarray:
    """Multiplicative log-normal noise with AR(1) correlation over ``corr_steps`` steps (mean 1)."""
    if sigma == 0.0:
        return np.ones(n)
    phi = math.exp(-1.0 / max(corr_steps, 1e-9))
    shocks = rng.standard_normal(n) * sigma * math.sqrt(1.0 - phi * phi)
    # AR(1) x_i = phi x_{i-1} + e_i as a linear filter: cumulative sums of scaled shocks.
    # Done in blocks to keep phi**(-i) from overflowing on long traces.
    x = np.empty(n)
    prev = rng.standard_normal() * sigma
    block = 500
    for start in range(0, n, block):
        e = shocks[start : start + block]
        k = np.arange(1, len(e) + 1)
        powers = phi**k
        x[start : start + len(e)] = powers * (prev + np.cumsum(e / powers))
        prev = x[start + len(e) - 1]
    return np.exp(x - 0.5 * sigma * sigma)


def _check_common(fn: str, days: float, step_s: float, noise: float, seed) -> tuple[float, float, float, np.random.Generator]:
    days = check_number(f"{fn}.days", days, minimum=0, min_inclusive=False, maximum=366)
    step_s = check_number(f"{fn}.step_s", step_s, minimum=1, maximum=3600)
    noise = check_number(f"{fn}.noise", noise, minimum=0, maximum=1)
    return days, step_s, noise, _rng(fn, seed)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + exp(-x)) without overflow warnings."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _daily_web_profile(hour: np.ndarray) -> np.ndarray:
    """Shape of a day of web traffic in [0, 1]: trough about 04:00, lunch bump, peak about 20:00."""
    evening = np.exp(-0.5 * ((hour - 20.0) / 3.2) ** 2)
    lunch = 0.55 * np.exp(-0.5 * ((hour - 12.5) / 2.5) ** 2)
    morning = 0.35 * np.exp(-0.5 * ((hour - 9.0) / 2.0) ** 2)
    wrap = np.exp(-0.5 * ((hour + 4.0) / 3.2) ** 2)  # yesterday's evening tail after midnight
    shape = evening + lunch + morning + wrap
    return shape / 1.15


def diurnal(
    days: float = 7,
    seed: int = 0,
    *,
    peak_rps: float = 3000.0,
    trough_rps: float = 400.0,
    weekend_factor: float = 0.7,
    noise: float = 0.05,
    step_s: float = 60.0,
    start: str = DEFAULT_START,
) -> pd.DataFrame:
    """Web traffic with a daily cycle, a weekly shape and correlated noise.

    demand(t) = (trough + (peak - trough) · p(hour)) · w(day) · ε(t), where ``p`` is a daily
    profile in [0, 1] (trough before dawn, lunch bump, evening peak), ``w`` is 1 on weekdays and
    ``weekend_factor`` on Saturday and Sunday, and ε is log-normal AR(1) noise with mean 1 and
    relative size ``noise`` (correlated over about 10 minutes).

    Parameters
    ----------
    days : float
        Length of the trace in days.
    seed : int or numpy.random.Generator
        Seed (a whole number >= 0) of the :class:`numpy.random.Generator` for the noise, or the
        Generator itself.
    peak_rps, trough_rps : float
        Weekday evening peak and pre-dawn trough, requests/s (before noise).
    weekend_factor : float
        Multiplier on Saturdays and Sundays.
    noise : float
        Relative standard deviation of the noise (0 gives a smooth trace).
    step_s : float
        Sampling step, seconds.
    start : str
        Timestamp of the first sample (default a Monday, midnight).

    Examples
    --------
    >>> t = diurnal(days=7, seed=3, noise=0.0)
    >>> weekday = t.loc["2025-03-04", "demand"].max()   # Tuesday
    >>> sunday = t.loc["2025-03-09", "demand"].max()
    >>> round(float(sunday / weekday), 2)
    0.7
    """
    days, step_s, noise, rng = _check_common("diurnal", days, step_s, noise, seed)
    peak = check_number("diurnal.peak_rps", peak_rps, minimum=0)
    trough = check_number("diurnal.trough_rps", trough_rps, minimum=0, maximum=peak)
    weekend = check_number("diurnal.weekend_factor", weekend_factor, minimum=0, maximum=10)
    index, seconds = _grid("diurnal", days, step_s, start)
    hour = (index.hour + index.minute / 60.0 + index.second / 3600.0).to_numpy(dtype=float)
    week = np.where(index.day_of_week.to_numpy() >= 5, weekend, 1.0)
    base = (trough + (peak - trough) * _daily_web_profile(hour)) * week
    values = base * _noise(rng, len(index), noise, corr_steps=600.0 / step_s)
    return _frame(index, values, "diurnal", step_s)


def flash_sale(
    days: float = 2,
    seed: int = 0,
    *,
    peak_rps: float = 1500.0,
    trough_rps: float = 250.0,
    sale_start_h: float = 33.0,
    sale_multiplier: float = 6.0,
    decay_h: float = 2.0,
    noise: float = 0.05,
    step_s: float = 60.0,
    start: str = DEFAULT_START,
) -> pd.DataFrame:
    """E-commerce flash sale: ordinary diurnal traffic, then a jump at the announced start.

    demand(t) = web(t) · (1 + (m - 1) · s(t)), where ``web`` is :func:`diurnal` traffic
    (weekdays) and s(t) rises from 0 to 1 within five minutes of ``sale_start_h`` (shoppers
    waiting with full baskets) and decays as exp(-(t - start)/``decay_h``) afterwards; a small
    pre-announcement bump of early visitors precedes it.

    Parameters
    ----------
    sale_start_h : float
        Hours after the trace start when the sale opens (default 33 h: 09:00 on day 2).
    sale_multiplier : float
        Demand multiplier ``m`` at the opening minute.
    decay_h : float
        Time constant of the decay after the opening, hours.
    days, seed, peak_rps, trough_rps, noise, step_s, start
        As in :func:`diurnal`.

    Examples
    --------
    >>> t = flash_sale(days=2, seed=1, noise=0.0)
    >>> t["demand"].idxmax() >= t.index[0] + pd.Timedelta(hours=33)
    True
    """
    days, step_s, noise, rng = _check_common("flash_sale", days, step_s, noise, seed)
    peak = check_number("flash_sale.peak_rps", peak_rps, minimum=0)
    trough = check_number("flash_sale.trough_rps", trough_rps, minimum=0, maximum=peak)
    start_h = check_number("flash_sale.sale_start_h", sale_start_h, minimum=0)
    mult = check_number("flash_sale.sale_multiplier", sale_multiplier, minimum=1, maximum=100)
    decay = check_number("flash_sale.decay_h", decay_h, minimum=0, min_inclusive=False)
    index, seconds = _grid("flash_sale", days, step_s, start)
    hour = (index.hour + index.minute / 60.0).to_numpy(dtype=float)
    base = trough + (peak - trough) * _daily_web_profile(hour)
    rel_h = seconds / 3600.0 - start_h
    ramp = np.clip((rel_h + 5 / 60.0) / (5 / 60.0), 0.0, 1.0)
    sale = np.where(rel_h < 0, ramp, np.exp(-np.maximum(rel_h, 0.0) / decay))
    early = 0.3 * np.exp(-0.5 * ((rel_h + 0.75) / 0.3) ** 2)  # visitors arriving before the opening
    values = base * (1.0 + (mult - 1.0) * sale + early) * _noise(rng, len(index), noise, 600.0 / step_s)
    return _frame(index, values, "flash_sale", step_s)


def streaming_spike(
    days: float = 2,
    seed: int = 0,
    *,
    base_rps: float = 300.0,
    event_rps: float = 4000.0,
    event_start_h: float = 44.0,
    event_duration_h: float = 2.0,
    ramp_min: float = 20.0,
    noise: float = 0.04,
    step_s: float = 60.0,
    start: str = DEFAULT_START,
) -> pd.DataFrame:
    """Media streaming with a live event: a ramp before kick-off, a plateau, a cliff at the end.

    Outside the event the load follows a mild daily cycle around ``base_rps``. Viewers join
    over the ``ramp_min`` minutes before ``event_start_h`` (a logistic rise), stay for
    ``event_duration_h`` with a half-time dip, and leave within minutes when it ends.

    Examples
    --------
    >>> t = streaming_spike(days=2, seed=2, noise=0.0)
    >>> during = t["demand"].iloc[int(44.5 * 60)]
    >>> before = t["demand"].iloc[int(40 * 60)]
    >>> bool(during > 5 * before)
    True
    """
    days, step_s, noise, rng = _check_common("streaming_spike", days, step_s, noise, seed)
    base = check_number("streaming_spike.base_rps", base_rps, minimum=0)
    event = check_number("streaming_spike.event_rps", event_rps, minimum=0)
    start_h = check_number("streaming_spike.event_start_h", event_start_h, minimum=0)
    duration = check_number("streaming_spike.event_duration_h", event_duration_h, minimum=0, min_inclusive=False)
    ramp = check_number("streaming_spike.ramp_min", ramp_min, minimum=0, min_inclusive=False)
    index, seconds = _grid("streaming_spike", days, step_s, start)
    hour = (index.hour + index.minute / 60.0).to_numpy(dtype=float)
    daily = base * (0.6 + 0.8 * _daily_web_profile(hour))
    minutes = (seconds / 3600.0 - start_h) * 60.0
    join = _sigmoid((minutes + ramp / 2.0) / (ramp / 8.0))
    leave = _sigmoid(-(minutes - duration * 60.0) / 3.0)
    half_time = 1.0 - 0.25 * np.exp(-0.5 * ((minutes - duration * 30.0) / 6.0) ** 2)
    values = (daily + event * join * leave * half_time) * _noise(rng, len(index), noise, 300.0 / step_s)
    return _frame(index, values, "streaming_spike", step_s)


def dev_test(
    days: float = 7,
    seed: int = 0,
    *,
    office_rps: float = 600.0,
    idle_rps: float = 20.0,
    ci_bursts_per_day: float = 6.0,
    noise: float = 0.08,
    step_s: float = 60.0,
    start: str = DEFAULT_START,
) -> pd.DataFrame:
    """A development and test environment: office hours on weekdays plus CI bursts.

    Load rises from 08:00, dips at lunch, falls after 18:00; nights and weekends sit at
    ``idle_rps``. On weekdays, ``ci_bursts_per_day`` test runs (Poisson arrivals during office
    hours) each add up to ``office_rps`` for 10-30 minutes.

    Examples
    --------
    >>> t = dev_test(days=7, seed=0)
    >>> night = t.between_time("02:00", "04:00")["demand"].mean()
    >>> noon = t.loc["2025-03-04"].between_time("10:00", "11:00")["demand"].mean()
    >>> bool(noon > 10 * night)
    True
    """
    days, step_s, noise, rng = _check_common("dev_test", days, step_s, noise, seed)
    office = check_number("dev_test.office_rps", office_rps, minimum=0)
    idle = check_number("dev_test.idle_rps", idle_rps, minimum=0, maximum=office)
    bursts = check_number("dev_test.ci_bursts_per_day", ci_bursts_per_day, minimum=0, maximum=200)
    index, seconds = _grid("dev_test", days, step_s, start)
    hour = (index.hour + index.minute / 60.0).to_numpy(dtype=float)
    weekday = index.day_of_week.to_numpy() < 5
    arrive = _sigmoid((hour - 8.5) / 0.4)
    leave = _sigmoid(-(hour - 18.0) / 0.5)
    lunch = 1.0 - 0.35 * np.exp(-0.5 * ((hour - 12.75) / 0.5) ** 2)
    office_shape = np.where(weekday, arrive * leave * lunch, 0.0)
    values = idle + (office - idle) * office_shape
    total_days = int(math.ceil(days))
    first = index[0]
    extra = np.zeros(len(index) + 1)  # burst starts (+size) and ends (-size), summed below
    for day in range(total_days):
        if (first + pd.Timedelta(days=day)).day_of_week >= 5:
            continue
        for _ in range(rng.poisson(bursts)):
            t0 = day * _DAY_S + rng.uniform(9.0, 17.5) * 3600.0
            length = rng.uniform(600.0, 1800.0)
            size = rng.uniform(0.3, 1.0) * office
            lo, hi = np.searchsorted(seconds, [t0, t0 + length], side="left")
            extra[lo] += size
            extra[hi] -= size
    values = values + np.cumsum(extra)[:-1]
    values = values * _noise(rng, len(index), noise, 300.0 / step_s)
    return _frame(index, values, "dev_test", step_s)


TRACES: dict[str, Callable[..., pd.DataFrame]] = {
    "diurnal": diurnal,
    "flash_sale": flash_sale,
    "streaming_spike": streaming_spike,
    "dev_test": dev_test,
}
"""The generated trace shapes by name (what the explorers' trace picker offers)."""


def make(name: str, days: float = 2, seed: int = 0, **kwargs) -> pd.DataFrame:
    """Generate the trace called ``name`` (one of :data:`TRACES`).

    >>> len(make("dev_test", days=1))
    1440
    """
    check_choice("demand.make.name", name, tuple(TRACES))
    return TRACES[name](days=days, seed=seed, **kwargs)
