"""``vmlab report``: the HTML page and the figure builders, on a sweep folder written by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vmlab.figures.sweep import sweep_figures, sweep_heatmap_figure, sweep_response_figure
from vmlab.sweep import SweepError, read_sweep, write_report
from vmlab.sweep.store import MANIFEST, RUNS

RATES, LINKS = [10.0, 20.0, 40.0], [100, 1000]


def time_s(rate: float, link: int) -> float:
    return 4096 / (link - rate)  # any simple, known function of both parameters


def make_sweep(out: Path, extra: list[dict] | None = None, metrics: list[str] | None = None) -> Path:
    """A finished sweep folder: 3 x 2 cases, the (40, 100) case failed, plus ``extra`` cases."""
    cases = [{"case_id": f"rate={r}__link={l}", "parameters": {"RATE": r, "LINK": l, "NAME": "x"}}
             for r in RATES for l in LINKS] + (extra or [])
    (out / RUNS).mkdir(parents=True)
    (out / MANIFEST).write_text(json.dumps({"notebook_name": "demo.ipynb", "description": "a <b>test</b> sweep",
                                            "varying": ["RATE", "LINK"], "cases": cases,
                                            "metrics": metrics or []}))
    for case in cases[:6]:
        p = case["parameters"]
        failed = (p["RATE"], p["LINK"]) == (40.0, 100)
        record = {"case_id": case["case_id"], "parameters": p, "status": "failed" if failed else "ok",
                  "results": {} if failed else {"time_s": time_s(p["RATE"], p["LINK"]), "fast": p["LINK"] > 500,
                                                "label": "y"},
                  "duration_s": 1.5, "error": "ValueError: <boom>" if failed else ""}
        (out / RUNS / f"{case['case_id']}.json").write_text(json.dumps(record))
    return out


def test_read_sweep_knows_parameters_results_and_pending_cases(tmp_path):
    extra = [{"case_id": "rate=80.0__link=100", "parameters": {"RATE": 80.0, "LINK": 100, "NAME": "x"}}]
    table = read_sweep(make_sweep(tmp_path / "s", extra))
    assert len(table) == 6 and table.attrs["n_cases"] == 7  # the extra case has not run
    assert table.attrs["parameters"] == ["RATE", "LINK", "NAME"] and table.attrs["varying"] == ["RATE", "LINK"]
    assert table.attrs["results"] == ["time_s", "fast", "label"]


def test_figures_show_the_numbers_of_the_table(tmp_path):
    table = read_sweep(make_sweep(tmp_path / "s"))
    curve = sweep_response_figure(table, "RATE", "time_s", by="LINK")
    assert [t.name for t in curve.data] == ["100", "1000"] and curve.layout.legend.title.text == "LINK"
    assert list(curve.data[0].x) == [10.0, 20.0] and list(curve.data[0].y) == [time_s(10, 100), time_s(20, 100)]
    assert list(curve.data[1].y) == [time_s(r, 1000) for r in RATES]
    heat = sweep_heatmap_figure(table, "RATE", "LINK", "time_s")
    z = heat.data[0].z
    assert z[1][2] == pytest.approx(time_s(40, 1000)) and z[0][2] != z[0][2]  # failed case: NaN cell
    # one parameter drawn alone: mean over the other, bars spanning min..max
    alone = sweep_response_figure(table, "LINK", "time_s")
    assert "mean over RATE" in alone.layout.title.text
    assert list(alone.data[0].y) == pytest.approx([(time_s(10, 100) + time_s(20, 100)) / 2,
                                                   sum(time_s(r, 1000) for r in RATES) / 3])
    # the slide set: per numeric result, a curve per parameter and one heatmap; strings are skipped
    titles = [f.layout.title.text for f in sweep_figures(table)]
    assert titles == ["time_s against RATE", "time_s against LINK", "time_s over RATE and LINK",
                      "fast against RATE", "fast against LINK", "fast over RATE and LINK"]
    with pytest.raises(ValueError, match="'SPEED' is not in the sweep table"):
        sweep_response_figure(table, "SPEED", "time_s")


def test_report_page_has_figures_table_and_failures(tmp_path):
    out = make_sweep(tmp_path / "s")
    page = write_report(out, plotlyjs="cdn")
    assert page == out / "report.html"
    text = page.read_text()
    assert text.count('class="figure"') == 6 and "cdn.plot.ly" in text
    assert text.count("<tr") == 1 + 6  # header + one row per finished case
    assert text.count('class="failed"') == 1
    assert "ValueError: &lt;boom&gt;" in text and "a &lt;b&gt;test&lt;/b&gt; sweep" in text  # escaped
    only = write_report(out, tmp_path / "one.html", metrics=["time_s"], plotlyjs="cdn")
    assert only.read_text().count('class="figure"') == 3
    inline = write_report(out, tmp_path / "inline.html", metrics=["time_s"])
    assert inline.stat().st_size > 1_000_000  # plotly.js embedded: opens without a network
    with pytest.raises(SweepError, match="unknown metric.*'speed'.*time_s, fast, label"):
        write_report(out, metrics=["speed"])
    with pytest.raises(SweepError, match="holds no sweep"):
        write_report(tmp_path)


def test_the_grid_file_chooses_the_reports_metrics(tmp_path):
    out = make_sweep(tmp_path / "s", metrics=["time_s", "speed"])
    text = write_report(out, plotlyjs="cdn").read_text()
    assert text.count('class="figure"') == 3  # time_s only: 2 curves + 1 heatmap
    assert "metrics speed were not published" in text
    assert write_report(out, tmp_path / "all.html", metrics=["time_s", "fast"], plotlyjs="cdn").read_text().count(
        'class="figure"') == 6  # --metric wins over the grid file
