"""Demand traces from files: a user's CSV (:func:`from_csv`) and the real WorldCup98 trace.

Both are re-exported by :mod:`vmlab.provisioning.demand`; see there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vmlab._checks import check_choice, check_number

__all__ = ["from_csv", "worldcup98", "WORLDCUP98_FILE", "MAX_SAMPLES"]

MAX_SAMPLES = 1_000_000
"""Most samples a loaded or generated trace may have (a year at 1-minute steps is 527,040)."""

WORLDCUP98_FILE = "worldcup98_1998-06-10_to_06-24_per_minute.csv"
"""The WorldCup98 trace shipped in the repository's ``data/traces/`` (see ``data/README.md``)."""

_EPOCH_AUTO = 1e8  # s: numbers at least this large are read as Unix time (1973-03-03 onwards)
_START = "2025-03-03"  # elapsed seconds count from here (a Monday, as the generated traces)
_EARLIEST, _LATEST = pd.Timestamp("1900-01-01"), pd.Timestamp("2200-01-01")


def _label(path: Any) -> str:
    return "the file" if hasattr(path, "read") else repr(str(Path(path).name))


def _frame(index: pd.DatetimeIndex, values: np.ndarray, name: str, step_s: float) -> pd.DataFrame:
    frame = pd.DataFrame({"demand": np.maximum(values, 0.0)}, index=index)
    frame.attrs.update(name=name, unit="requests/s", step_s=float(step_s))
    return frame


def _times(raw: pd.Series, time_col: str, kind: str, path: Any) -> pd.DatetimeIndex:
    where = f"column {time_col!r} of {_label(path)}"
    if pd.api.types.is_bool_dtype(raw):
        raise ValueError(f"from_csv: {where} holds True/False, not times")
    if pd.api.types.is_numeric_dtype(raw):
        if kind == "timestamp":
            raise ValueError(f"from_csv: {where} holds numbers; time_kind='timestamp' needs dates such as '2025-01-01 00:00'")
        seconds = raw.to_numpy(dtype=float)
        bad = ~np.isfinite(seconds)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(f"from_csv: {where} has an empty or infinite time in row {row + 2}")
        if kind == "auto":
            kind = "epoch_s" if seconds.min() >= _EPOCH_AUTO else "elapsed_s"
        if kind == "epoch_s":
            lo, hi = 0.0, 7.2e9  # 1970 to about 2198
            origin = pd.Timestamp("1970-01-01")
        else:
            lo, hi = 0.0, 3.15e8  # up to ten years after the start
            origin = pd.Timestamp(_START)
        out = (seconds < lo) | (seconds > hi)
        if out.any():
            row = int(np.flatnonzero(out)[0])
            meaning = "Unix time in seconds" if kind == "epoch_s" else "seconds since the start of the trace"
            raise ValueError(
                f"from_csv: {where} is read as {meaning}; it must lie between {lo:g} and {hi:g}, but row {row + 2} "
                f"has {seconds[row]:g}. Set time_kind ('elapsed_s' or 'epoch_s') if the guess is wrong."
            )
        return pd.DatetimeIndex(origin + pd.to_timedelta(seconds, unit="s"))
    if kind in ("elapsed_s", "epoch_s"):
        raise ValueError(f"from_csv: {where} must hold numbers of seconds for time_kind={kind!r}")
    parsed = pd.to_datetime(raw, format="mixed", errors="coerce")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    bad = (parsed.isna() | (parsed < _EARLIEST) | (parsed > _LATEST)).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        value = raw.iloc[row]
        if pd.isna(value):
            raise ValueError(f"from_csv: {where} has an empty time in row {row + 2}")
        raise ValueError(
            f"from_csv: {where} must hold timestamps between 1900 and 2200 (or numbers of seconds); "
            f"row {row + 2} (counting the header as row 1) has {value!r}"
        )
    return pd.DatetimeIndex(parsed)


def from_csv(
    path: Any,
    time_col: str,
    value_col: str,
    *,
    step_s: float = 60.0,
    value_kind: str = "rate",
    time_kind: str = "auto",
    name: str | None = None,
) -> pd.DataFrame:
    """Load a demand trace from a CSV file and resample it onto a regular grid.

    Parameters
    ----------
    path : str, Path or file object
        The CSV file (with a header row).
    time_col : str
        Column with the times, sorted in increasing order: timestamps (anything
        :func:`pandas.to_datetime` reads, between 1900 and 2200; time zones are converted to UTC),
        or numbers of seconds (see ``time_kind``).
    value_col : str
        Column with the demand.
    step_s : float
        Step of the regular grid, seconds (60 gives the per-minute traces the models expect).
    value_kind : {"rate", "count"}
        ``"rate"``: values are requests/s; each bin gets the mean of its rows and empty bins
        take the previous value. ``"count"``: values are request counts (e.g. a web-server log
        aggregated per minute, or one row per request with value 1); each bin gets
        sum / ``step_s`` requests/s and empty bins are 0.
    time_kind : {"auto", "timestamp", "elapsed_s", "epoch_s"}
        How to read a column of numbers: seconds since the start of the trace (placed on
        2025-03-03, a Monday), or Unix time in seconds. ``"auto"`` reads numbers of at least
        10^8 (1973 in Unix time; 3 years of elapsed time) as Unix time, smaller ones as elapsed.
    name : str, optional
        Name stored in ``attrs["name"]`` (defaults to the file stem).

    Returns
    -------
    pandas.DataFrame
        Index ``time`` (regular, ``step_s`` apart), one column ``demand`` in requests/s.

    Raises
    ------
    ValueError
        The file is empty, a column is missing (the message lists the available ones), a value
        is not a number, a time is missing, out of range or out of order, or the trace would
        have more than :data:`MAX_SAMPLES` steps.

    Examples
    --------
    >>> import io
    >>> csv = io.StringIO("minute,hits\\n2025-01-01 00:00,600\\n2025-01-01 00:01,1200\\n")
    >>> from_csv(csv, "minute", "hits", value_kind="count")["demand"].tolist()
    [10.0, 20.0]
    >>> log = io.StringIO("t,hits\\n1700000000,60\\n1700000060,120\\n")   # Unix time
    >>> from_csv(log, "t", "hits", value_kind="count").index[0]
    Timestamp('2023-11-14 22:13:00')
    """
    step_s = check_number("from_csv.step_s", step_s, minimum=1, maximum=86400)
    check_choice("from_csv.value_kind", value_kind, ("rate", "count"))
    check_choice("from_csv.time_kind", time_kind, ("auto", "timestamp", "elapsed_s", "epoch_s"))
    for arg, value in (("time_col", time_col), ("value_col", value_col)):
        if not isinstance(value, str):
            raise TypeError(f"from_csv.{arg} must be a column name (a string); got {value!r:.80}")
    if not hasattr(path, "read"):
        if not isinstance(path, (str, Path)):
            raise TypeError(f"from_csv.path must be a file path or an open file; got {path!r:.80} of type {type(path).__name__}")
        if not Path(path).is_file():
            raise FileNotFoundError(f"from_csv.path: no such file {str(path)!r}")
    try:
        raw = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise ValueError(f"from_csv: {_label(path)} is empty (no header row, no data)") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValueError(f"from_csv: {_label(path)} is not a readable CSV file: {exc}") from None
    missing = [c for c in (time_col, value_col) if c not in raw.columns]
    if missing:
        available = ", ".join(repr(str(c)) for c in raw.columns)
        raise ValueError(
            f"from_csv: column(s) {', '.join(repr(m) for m in missing)} not in {_label(path)}; "
            f"available columns: {available}"
        )
    if len(raw) == 0:
        raise ValueError(f"from_csv: {_label(path)} has a header but no rows")
    values = pd.to_numeric(raw[value_col], errors="coerce")
    bad = values.isna() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"from_csv: column {value_col!r} must hold finite numbers; row {row + 2} of {_label(path)} "
            f"(counting the header as row 1) has {raw[value_col].iloc[row]!r}"
        )
    if (values < 0).any():
        row = int(np.flatnonzero((values < 0).to_numpy())[0])
        raise ValueError(f"from_csv: column {value_col!r} must be >= 0; row {row + 2} has {values.iloc[row]!r}")
    stamps = _times(raw[time_col], time_col, time_kind, path)
    diffs = np.diff(np.asarray((stamps - stamps[0]) / pd.Timedelta(seconds=1), dtype=float))
    if (diffs < 0).any():
        row = int(np.flatnonzero(diffs < 0)[0]) + 1
        raise ValueError(
            f"from_csv: column {time_col!r} must be sorted in increasing time; row {row + 2} "
            f"({stamps[row]}) comes before row {row + 1} ({stamps[row - 1]}). Sort the file first."
        )
    span_s = float((stamps[-1] - stamps[0]) / pd.Timedelta(seconds=1))
    if span_s / step_s + 1 > MAX_SAMPLES:
        raise ValueError(
            f"from_csv: {_label(path)} spans {span_s / 86400:,.1f} days, {span_s / step_s:,.0f} steps of "
            f"{step_s:g} s; at most {MAX_SAMPLES:,} (choose a larger step_s)"
        )
    series = pd.Series(values.to_numpy(dtype=float), index=stamps)
    rule = pd.Timedelta(seconds=step_s)
    if value_kind == "rate":
        resampled = series.resample(rule).mean().ffill()
    else:
        resampled = series.resample(rule).sum() / step_s
    resampled.index.name = "time"
    label = name if name is not None else (Path(path).stem if not hasattr(path, "read") else "csv")
    return _frame(resampled.index, resampled.to_numpy(dtype=float), label, step_s)


def _default_worldcup_path() -> Path:
    return Path(__file__).resolve().parents[2] / "data" / "traces" / WORLDCUP98_FILE


def worldcup98(first_day: str = "1998-06-10", last_day: str = "1998-06-24", *, path: Any = None) -> pd.DataFrame:
    """Real demand: requests/s to the 1998 FIFA World Cup web site, per minute, 10-24 June 1998.

    The group stage of the tournament, from the Internet Traffic Archive's access logs (all
    servers together): a daily cycle, quiet weekends (13-14 and 20-21 June), and flash crowds
    during matches, up to 2,817 requests/s (23 June, 15:57 in the logs' clock) against a
    median of about 315. Select days to take the match-day peaks.

    Reference: M. Arlitt and T. Jin, "1998 World Cup Web Site Access Logs", August 1998,
    http://www.acm.org/sigcomm/ITA/ (see ``data/README.md`` and ``data/traces/WORLDCUP98_NOTICE.txt``
    for the terms, which ask that the notice travel with the data).

    Parameters
    ----------
    first_day, last_day : str
        First and last day to include (whole days, 1998-06-10 to 1998-06-24).
    path : str or Path, optional
        The CSV file (default: ``data/traces/`` of the repository).

    Examples
    --------
    >>> t = worldcup98("1998-06-23", "1998-06-23")
    >>> len(t), t.attrs["step_s"], round(float(t["demand"].max()))
    (1440, 60.0, 2817)
    """
    days = {}
    for arg, value in (("first_day", first_day), ("last_day", last_day)):
        try:
            day = pd.Timestamp(value).normalize()
        except (ValueError, TypeError):
            raise ValueError(f"worldcup98.{arg} must be a date such as '1998-06-23'; got {value!r:.80}") from None
        if pd.isna(day) or not pd.Timestamp("1998-06-10") <= day <= pd.Timestamp("1998-06-24"):
            raise ValueError(f"worldcup98.{arg} must be a day from 1998-06-10 to 1998-06-24; got {value!r:.80}")
        days[arg] = day
    if days["first_day"] > days["last_day"]:
        raise ValueError(f"worldcup98.first_day ({first_day}) must not come after last_day ({last_day})")
    source = _default_worldcup_path() if path is None else path
    if path is None and not source.is_file():
        raise FileNotFoundError(
            f"worldcup98: {source} is missing; it ships in the vmlab repository's data/traces/ "
            "(pass path= to read a copy elsewhere)"
        )
    trace = from_csv(source, "minute", "requests", value_kind="count", name="worldcup98")
    end = days["last_day"] + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
    out = trace.loc[days["first_day"]:end].copy()
    out.attrs.update(trace.attrs)
    out.attrs["source"] = 'M. Arlitt and T. Jin, "1998 World Cup Web Site Access Logs", August 1998'
    return out
