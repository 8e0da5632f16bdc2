"""Demand traces: generated shapes, reproducibility, the CSV loader and its errors."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from vmlab import demand

ROOT = Path(__file__).resolve().parents[1]
TRACES_DIR = ROOT / "data" / "traces"


@pytest.mark.parametrize("name", sorted(demand.TRACES))
def test_generated_traces_are_regular_seeded_and_non_negative(name):
    a = demand.make(name, days=2, seed=7)
    b = demand.make(name, days=2, seed=7)
    c = demand.make(name, days=2, seed=8)
    assert a.index.name == "time" and list(a.columns) == ["demand"]
    assert len(a) == 2 * 24 * 60
    assert (a.index[1:] - a.index[:-1] == pd.Timedelta(minutes=1)).all()
    assert (a["demand"] >= 0).all()
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["demand"], c["demand"])
    assert a.attrs["name"] == name and a.attrs["unit"] == "requests/s"


def test_diurnal_weekend_is_quieter_and_evening_peaks():
    t = demand.diurnal(days=7, seed=0, noise=0.0)
    by_day = t["demand"].groupby(t.index.day_of_week).mean()
    assert by_day[5] < 0.8 * by_day[1] and by_day[6] < 0.8 * by_day[1]
    tuesday = t.loc["2025-03-04", "demand"]
    assert 18 <= tuesday.idxmax().hour <= 22
    assert 2 <= tuesday.idxmin().hour <= 6


def test_flash_sale_jumps_at_the_opening_and_decays_exponentially():
    sale = demand.flash_sale(days=2, seed=0, noise=0.0, sale_start_h=33, sale_multiplier=6, decay_h=2)
    plain = demand.flash_sale(days=2, seed=0, noise=0.0, sale_start_h=33, sale_multiplier=1, decay_h=2)
    ratio = sale["demand"] / plain["demand"]
    opening = sale.index[0] + pd.Timedelta(hours=33)
    # boost = 1 + (m - 1) exp(-(t - start) / decay_h), plus a small early-visitor bump near the start
    assert_allclose(ratio[opening], 6.0, rtol=0.02)  # both traces carry the ~1 % early bump
    assert_allclose(ratio[opening + pd.Timedelta(hours=6)], 1 + 5 * np.exp(-3), rtol=1e-3)
    assert_allclose(ratio[opening - pd.Timedelta(hours=3)], 1.0, rtol=1e-3)


def test_streaming_spike_ramps_then_cliffs():
    t = demand.streaming_spike(days=2, seed=0, noise=0.0, event_start_h=44, event_duration_h=2)
    start = t.index[0] + pd.Timedelta(hours=44)
    assert t.loc[start + pd.Timedelta(minutes=30), "demand"] > 5 * t.loc[start - pd.Timedelta(hours=1), "demand"]
    assert t.loc[start + pd.Timedelta(minutes=140), "demand"] < 0.2 * t.loc[start + pd.Timedelta(minutes=100), "demand"]


def test_dev_test_is_idle_at_weekends():
    t = demand.dev_test(days=7, seed=0)
    weekend = t[t.index.day_of_week >= 5]["demand"].max()
    weekday_noon = t.loc["2025-03-05 11:00", "demand"]
    assert weekend < 0.1 * weekday_noon


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"days": 0}, "diurnal.days"),
        ({"days": 1, "noise": -0.1}, "diurnal.noise"),
        ({"days": 1, "step_s": 0}, "diurnal.step_s"),
        ({"days": 1, "trough_rps": 5000}, "diurnal.trough_rps"),
    ],
)
def test_generator_bad_parameters_name_the_parameter(kwargs, match):
    with pytest.raises(ValueError, match=match):
        demand.diurnal(**kwargs)


def test_make_unknown_name_lists_choices():
    with pytest.raises(ValueError, match="'diurnal'.*'flash_sale'"):
        demand.make("black_friday")


# --- from_csv ---------------------------------------------------------------------------------


def _write(tmp_path, text, name="trace.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_from_csv_rate_resamples_to_the_step_by_mean(tmp_path):
    rows = "\n".join(f"2025-01-01 00:00:{s:02d},{v}" for s, v in [(0, 10), (20, 20), (40, 30)])
    rows += "\n2025-01-01 00:01:10,50\n2025-01-01 00:03:00,70\n"
    path = _write(tmp_path, "ts,rps\n" + rows)
    t = demand.from_csv(path, "ts", "rps", step_s=60)
    # bins: 00:00 mean(10,20,30)=20; 00:01 50; 00:02 empty -> previous 50; 00:03 70
    assert_allclose(t["demand"].to_numpy(), [20.0, 50.0, 50.0, 70.0])
    assert t.index.name == "time" and t.attrs["step_s"] == 60.0 and t.attrs["name"] == "trace"


def test_from_csv_counts_become_requests_per_second(tmp_path):
    # a web-server log aggregated per 30 s; resampled to 1-minute bins: (600+1200)/60 = 30 req/s
    path = _write(tmp_path, "t,hits\n0,600\n30,1200\n60,60\n90,0\n180,120\n")
    t = demand.from_csv(path, "t", "hits", value_kind="count")
    assert_allclose(t["demand"].to_numpy(), [30.0, 1.0, 0.0, 2.0])


def test_from_csv_missing_column_lists_the_available_ones(tmp_path):
    path = _write(tmp_path, "timestamp,requests\n2025-01-01,1\n")
    with pytest.raises(ValueError, match=r"'rps'.*available columns: 'timestamp', 'requests'"):
        demand.from_csv(path, "timestamp", "rps")


def test_from_csv_non_numeric_value_names_the_row(tmp_path):
    path = _write(tmp_path, "ts,rps\n2025-01-01 00:00,1\n2025-01-01 00:01,lots\n")
    with pytest.raises(ValueError, match=r"'rps' must hold finite numbers; row 3 .*'lots'"):
        demand.from_csv(path, "ts", "rps")


def test_from_csv_unsorted_time_is_refused(tmp_path):
    path = _write(tmp_path, "ts,rps\n2025-01-01 00:02,1\n2025-01-01 00:01,2\n2025-01-01 00:03,2\n")
    with pytest.raises(ValueError, match="sorted in increasing time; row 3"):
        demand.from_csv(path, "ts", "rps")


def test_from_csv_empty_and_missing_files(tmp_path):
    with pytest.raises(ValueError, match="no rows"):
        demand.from_csv(_write(tmp_path, "ts,rps\n"), "ts", "rps")
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        demand.from_csv(tmp_path / "nope.csv", "ts", "rps")
    with pytest.raises(ValueError, match="from_csv.value_kind"):
        demand.from_csv(_write(tmp_path, "ts,rps\n0,1\n"), "ts", "rps", value_kind="mean")


def test_from_csv_reads_a_file_object():
    t = demand.from_csv(io.StringIO("a,b\n0,5\n60,7\n"), "a", "b")
    assert_allclose(t["demand"], [5.0, 7.0])


@pytest.mark.parametrize("name", sorted(demand.TRACES))
def test_shipped_traces_match_the_generators(name):
    """data/traces/*_2d.csv are what data/make_traces.py writes (regenerate them if this fails)."""
    loaded = demand.from_csv(TRACES_DIR / f"{name}_2d.csv", "time", "requests_per_s")
    fresh = demand.make(name, days=2, seed=1)
    assert len(loaded) == len(fresh)
    assert_allclose(loaded["demand"].to_numpy(), fresh["demand"].to_numpy(), rtol=0, atol=0.051)


def test_shipped_web_log_loads_as_counts():
    log = demand.from_csv(TRACES_DIR / "web_log_per_minute.csv", "minute", "hits", value_kind="count")
    assert len(log) == 2 * 24 * 60 and (log["demand"] >= 0).all()


# --- generator arguments ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "error"),
    [(-1, ValueError), ("a", TypeError), (1.5, TypeError), (True, TypeError), (None, TypeError)],
)
@pytest.mark.parametrize("name", sorted(demand.TRACES))
def test_bad_seeds_name_the_parameter(name, seed, error):
    with pytest.raises(error, match=rf"{name}.seed must be a whole number >= 0"):
        demand.make(name, days=1, seed=seed)


def test_a_generator_can_be_passed_instead_of_a_seed():
    a = demand.diurnal(days=1, seed=np.random.default_rng(4))
    b = demand.diurnal(days=1, seed=4)
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("start", ["x", "3000-01-01", None, 12.5])
def test_bad_start_names_the_parameter(start):
    with pytest.raises(ValueError, match="flash_sale.start must be a date or timestamp"):
        demand.flash_sale(days=1, start=start)


def test_long_traces_are_bounded_and_quick():
    # a year of CI bursts (about 52,000 of them) used to add each burst to the whole array
    year = demand.dev_test(days=366, ci_bursts_per_day=200)
    assert len(year) == 366 * 1440 and (year["demand"] >= 0).all()
    weekday = year.loc["2025-03-05", "demand"]
    assert weekday.between_time("10:00", "16:00").mean() > 5 * weekday.between_time("01:00", "05:00").mean()
    with pytest.raises(ValueError, match=r"diurnal: days=366 at step_s=1 gives 31,622,400 samples; at most 1,000,000"):
        demand.diurnal(days=366, step_s=1)


# --- from_csv: the awkward files ----------------------------------------------------------------


def test_from_csv_refuses_empty_files_and_missing_paths(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ValueError, match="'empty.csv' is empty"):
        demand.from_csv(empty, "ts", "rps")
    with pytest.raises(TypeError, match="from_csv.path must be a file path or an open file; got None"):
        demand.from_csv(None, "ts", "rps")
    with pytest.raises(TypeError, match="from_csv.time_col must be a column name"):
        demand.from_csv(_write(tmp_path, "ts,rps\n0,1\n"), 0, "rps")


def test_from_csv_reads_unix_time_where_it_is():
    # 1,700,000,000 s is 2023-11-14 22:13:20 UTC; read as seconds after 2025-03-03 it landed in 2079
    path = _write(tmp_path_factory_free("epoch"), "t,hits\n1700000000,60\n1700000060,120\n1700000120,0\n")
    t = demand.from_csv(path, "t", "hits", value_kind="count")
    assert t.index[0] == pd.Timestamp("2023-11-14 22:13:00")
    assert_allclose(t["demand"], [1.0, 2.0, 0.0, 0.0][: len(t)])
    elapsed = demand.from_csv(path, "t", "hits", value_kind="count", time_kind="epoch_s")
    pd.testing.assert_frame_equal(t, elapsed)
    small = _write(tmp_path_factory_free("elapsed"), "t,hits\n0,60\n60,120\n")
    assert demand.from_csv(small, "t", "hits", value_kind="count").index[0] == pd.Timestamp(demand.DEFAULT_START)


@pytest.mark.parametrize(
    ("text", "kwargs", "match"),
    [
        ("t,v\n1e20,1\n", {}, r"Unix time in seconds; it must lie between 0 and 7.2e\+09, but row 2 has 1e\+20"),
        ("t,v\n-5,1\n", {}, "seconds since the start of the trace; it must lie between 0"),
        ("t,v\n3000-01-01,1\n", {}, "timestamps between 1900 and 2200 .* row 2 .*'3000-01-01'"),
        ("t,v\n2025-01-01,1\nsoon,2\n", {}, "row 3 .*'soon'"),
        ("t,v\n2025-01-01,1\n", {"time_kind": "elapsed_s"}, "must hold numbers of seconds"),
        ("t,v\n5,1\n", {"time_kind": "timestamp"}, "holds numbers"),
        ("t,v\n0,1\n100000000,1\n", {"time_kind": "elapsed_s"}, r"1,157.4 days, 1,666,667 steps of 60 s; at most 1,000,000"),
        ("t,v\n0,inf\n", {}, "must hold finite numbers; row 2"),
    ],
)
def test_from_csv_out_of_range_times_name_the_row(tmp_path, text, kwargs, match):
    with pytest.raises(ValueError, match=match):
        demand.from_csv(_write(tmp_path, text), "t", "v", **kwargs)


def tmp_path_factory_free(name: str) -> Path:
    import tempfile

    return Path(tempfile.mkdtemp(prefix=f"vmlab-{name}-"))


# --- the real trace -------------------------------------------------------------------------------


def test_worldcup98_reads_the_real_file():
    cup = demand.worldcup98()
    assert len(cup) == 15 * 1440 and cup.attrs["step_s"] == 60.0 and cup.attrs["name"] == "worldcup98"
    raw = pd.read_csv(TRACES_DIR / demand.WORLDCUP98_FILE)
    assert len(raw) == 21600 and list(raw.columns) == ["minute", "requests"]
    assert_allclose(cup["demand"].to_numpy(), raw["requests"].to_numpy() / 60.0)  # requests per minute -> per second
    assert raw["requests"].min() == 6109 and raw["requests"].max() == 169010  # data/README.md
    peak_day = demand.worldcup98("1998-06-23", "1998-06-23")
    assert len(peak_day) == 1440 and peak_day["demand"].idxmax() == pd.Timestamp("1998-06-23 15:57")
    weekend = demand.worldcup98("1998-06-20", "1998-06-21")["demand"]
    assert weekend.max() < 0.2 * peak_day["demand"].max()  # quiet weekend, match-day flash crowds
    assert demand.worldcup98("1998-06-22", "1998-06-24").index[0] == pd.Timestamp("1998-06-22")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"first_day": "1998-06-09"}, "worldcup98.first_day must be a day from 1998-06-10 to 1998-06-24"),
        ({"last_day": "June"}, "worldcup98.last_day must be a"),
        ({"first_day": "1998-06-20", "last_day": "1998-06-12"}, "must not come after last_day"),
    ],
)
def test_worldcup98_day_selection_is_checked(kwargs, match):
    with pytest.raises(ValueError, match=match):
        demand.worldcup98(**kwargs)


def test_worldcup98_notice_travels_with_the_data():
    notice = (TRACES_DIR / "WORLDCUP98_NOTICE.txt").read_text()
    readme = (ROOT / "data" / "README.md").read_text()
    quoted = "\n".join(line[2:] if line.startswith("> ") else line[1:] for line in readme.splitlines() if line.startswith(">"))
    assert "as long as this Copyright and Disclaimer is distributed unmodified." in notice
    assert quoted.strip() in notice  # the same words, unmodified, in both places
    assert demand.WORLDCUP98_FILE in readme
