"""Sweep grids and the sweep folder, without starting kernels (fast).

The end-to-end runs (kernels, workers, Dask, kill and resume, Ctrl-C) are in test_sweep_run.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from vmlab.sweep import Grid, GridError, SweepError, load_grid, notebook_parameters, plan_sweep, run_sweep
from vmlab.sweep.grid import ParameterSpec, case_id, expand_cases, parse_grid
from vmlab.sweep.runner import _prepare_out
from vmlab.sweep.store import MANIFEST, results_table

FIXTURES = Path(__file__).parent / "fixtures"
NOTEBOOK = FIXTURES / "sweep_fixture.ipynb"
NAMES = ["RATE_MIB_S", "STEPS", "LABEL", "SLEEP_S"]


@pytest.fixture(scope="module")
def specs():
    return notebook_parameters(NOTEBOOK)


def test_parameters_come_from_the_parameters_cell(specs):
    assert list(specs) == NAMES
    assert specs["RATE_MIB_S"].expected is float and specs["STEPS"].expected is int
    assert specs["LABEL"].expected is str and specs["LABEL"].default_value == "base"


def test_short_and_long_grid_spellings_expand_to_the_same_product(specs):
    short = parse_grid("STEPS: [1, 2]\nRATE_MIB_S: [1.0, 2.0, 4.0]\n")
    long = parse_grid("grid:\n  STEPS: [1, 2]\n  RATE_MIB_S: [1.0, 2.0, 4.0]\n")
    a, b = expand_cases(short, specs), expand_cases(long, specs)
    assert [c.parameters for c in a] == [c.parameters for c in b]
    assert len(a) == 6
    # first name varies slowest; parameters in the notebook's order; readable, stable ids
    assert [c.parameters["STEPS"] for c in a] == [1, 1, 1, 2, 2, 2]
    assert a[1].parameters == {"RATE_MIB_S": 2.0, "STEPS": 1}
    assert a[1].case_id == "rate_mib_s=2.0__steps=1"
    assert len({c.case_id for c in a}) == 6


def test_cases_fixed_and_named_groups(specs):
    grid = parse_grid(
        "grid: {STEPS: [1, 2]}\n"
        "cases:\n  - {id: group-a, STEPS: 5, LABEL: a}\n  - {STEPS: 7}\n"
        "fixed: {RATE_MIB_S: 3}\n"
    )
    cases = expand_cases(grid, specs)
    assert [c.case_id for c in cases][:3] == ["steps=1", "steps=2", "group-a"]
    assert all(c.parameters["RATE_MIB_S"] == 3.0 for c in cases)  # int for a float parameter -> float
    assert isinstance(cases[0].parameters["RATE_MIB_S"], float)
    assert cases[2].parameters == {"RATE_MIB_S": 3.0, "STEPS": 5, "LABEL": "a"}
    assert cases[3].parameters == {"RATE_MIB_S": 3.0, "STEPS": 7}
    assert len({c.case_id for c in cases}) == 4


def test_a_typo_is_refused_with_the_valid_names(specs):
    with pytest.raises(GridError) as info:
        expand_cases(parse_grid("STEPZ: [1, 2]\n"), specs)
    message = str(info.value)
    assert "'STEPZ'" in message and "did you mean 'STEPS'" in message
    for name in NAMES:
        assert name in message


def test_every_type_error_is_reported_at_once(specs):
    grid = parse_grid("grid:\n  STEPS: [1, 2.5, true]\n  RATE_MIB_S: [fast]\n  LABEL: [3]\n")
    with pytest.raises(GridError) as info:
        expand_cases(grid, specs)
    message = str(info.value)
    assert message.startswith("4 problems")
    assert "grid.STEPS[1]" in message and "got 2.5 (float)" in message and "is an int" in message
    assert "grid.STEPS[2]" in message and "got True (bool)" in message
    assert "grid.RATE_MIB_S[0]" in message and "'fast'" in message
    assert "grid.LABEL[0]" in message and "quote it" in message


def test_yaml_1e3_is_accepted_for_a_float(specs):
    cases = expand_cases(parse_grid("RATE_MIB_S: [1e3, 2.5e2]\n"), specs)
    assert [c.parameters["RATE_MIB_S"] for c in cases] == [1000.0, 250.0]


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "is empty"),
        ("- 1\n- 2\n", "must be a mapping"),
        ("STEPS: []\n", "empty list"),
        ("grid: {STEPS: [1]}\nSTEPS: [2]\n", "unexpected top-level key"),
        ("cases: {STEPS: 1}\n", "'cases' must be a list"),
        ("cases:\n  - 3\n", "cases[0] must be a mapping"),
        ("grid: {STEPS: [1]}\nfixed: {STEPS: 2}\n", "both a grid axis and fixed"),
        ("cases:\n  - {STEPS: 1}\n  - {STEPS: 1}\n", "repeats case 1"),
        ("cases:\n  - {id: 'bad id!', STEPS: 1}\n", "cases[0].id"),
        ("STEPS: [1, 2\n", "not a valid grid"),
    ],
)
def test_malformed_grids_are_refused(specs, text, fragment):
    with pytest.raises(GridError, match=None) as info:
        expand_cases(parse_grid(text), specs)
    assert fragment in str(info.value)


def test_python_object_tags_are_refused_and_never_executed(tmp_path, specs):
    marker = tmp_path / "pwned"
    grid = tmp_path / "evil.yaml"
    grid.write_text(f'STEPS: !!python/object/apply:os.system ["touch {marker}"]\n')
    with pytest.raises(GridError) as info:
        load_grid(grid)
    assert "safe_load" in str(info.value) and "python/object" in str(info.value)
    assert not marker.exists()


def test_cli_values_pin_or_sweep(specs):
    grid = parse_grid("STEPS: [1, 2]\nRATE_MIB_S: [1.0, 2.0]\n")
    pinned = expand_cases(grid, specs, {"RATE_MIB_S": ["5"]})
    assert [c.parameters for c in pinned] == [{"RATE_MIB_S": 5.0, "STEPS": 1}, {"RATE_MIB_S": 5.0, "STEPS": 2}]
    assert [c.case_id for c in pinned] == ["steps=1", "steps=2"]
    swept = expand_cases(Grid(source="-p"), specs, {"LABEL": ["123", "b"], "STEPS": ["4"]})
    assert [c.parameters for c in swept] == [{"STEPS": 4, "LABEL": "123"}, {"STEPS": 4, "LABEL": "b"}]
    with pytest.raises(GridError, match="'STEPS'.*is an int"):
        expand_cases(Grid(source="-p"), specs, {"STEPS": ["many"]})


def test_case_ids_stay_short_and_unique():
    long = case_id({f"PARAMETER_NUMBER_{i}": 1.5 * i for i in range(12)})
    assert len(long) <= 120 and "~" in long
    assert case_id({"LABEL": "a b"}) == "label=a-b"
    spec = {"LABEL": ParameterSpec("LABEL", "str", '"x"')}
    cases = expand_cases(parse_grid("LABEL: ['a b', 'a_b', 'a/b']\n"), spec)
    ids = [c.case_id for c in cases]
    assert len(set(ids)) == 3 and all(i.startswith("label=a") for i in ids)


def test_annotations_optional_and_untyped_defaults():
    assert ParameterSpec("X", "float | None", "None").coerce(None, "w") is None
    assert ParameterSpec("X", "Optional[int]", "3").coerce(4, "w") == 4
    assert ParameterSpec("X", "None", "2.5").coerce(3, "w") == 3.0  # no annotation: the default's type
    assert ParameterSpec("X", "list[float]", "[1.0]").coerce([1, 2], "w") == [1, 2]
    with pytest.raises(GridError):
        ParameterSpec("X", "bool", "True").coerce(1, "w")


def _notebook(path: Path, parameters_source: str, results: bool = True) -> Path:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [new_markdown_cell("# t"), new_code_cell(parameters_source, metadata={"tags": ["parameters"]})]
    if results:
        nb.cells.append(new_code_cell("publish_results(x=1)", metadata={"tags": ["results"]}))
    nbformat.write(nb, str(path))
    return path


def test_a_notebook_without_parameters_is_refused(tmp_path):
    nb = _notebook(tmp_path / "plain.ipynb", "x = 1")
    nb_json = nbformat.read(str(nb), as_version=4)
    nb_json.cells[1].metadata["tags"] = []
    nbformat.write(nb_json, str(nb))
    with pytest.raises(GridError, match="no parameters to sweep"):
        notebook_parameters(nb)


def test_a_line_papermill_cannot_parse_is_still_a_parameter(tmp_path):
    # papermill's inspector skips lines with two '=' (here one in the comment)
    nb = _notebook(tmp_path / "eq.ipynb", "A: float = 1.0  # rate\nB: int = 2  # B = 2 rounds\n")
    specs = notebook_parameters(nb)
    assert set(specs) == {"A", "B"} and specs["B"].expected is int


def test_nothing_is_written_when_the_grid_is_invalid(tmp_path):
    grid = tmp_path / "typo.yaml"
    grid.write_text("STEPZ: [1, 2]\n")
    out = tmp_path / "out"
    with pytest.raises(GridError, match="STEPZ"):
        run_sweep(NOTEBOOK, grid, out, progress=False, echo=None)
    assert not out.exists()


def test_a_notebook_without_results_cell_is_warned_about(tmp_path):
    plan = plan_sweep(_notebook(tmp_path / "nores.ipynb", "A: int = 1\n", results=False), None, {"A": ["1", "2"]})
    assert not plan.has_results and any("no cell tagged 'results'" in w for w in plan.warnings)


def test_the_sweep_folder_is_never_overwritten_without_force(tmp_path):
    plan = plan_sweep(NOTEBOOK, FIXTURES / "sweep_grid.yaml")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(SweepError, match="not empty and holds no vmlab sweep"):
        _prepare_out(busy, plan, force=False)
    _prepare_out(busy, plan, force=True)  # --force: writes the sweep, keeps files it does not own
    assert (busy / "notes.txt").read_text() == "mine" and (busy / MANIFEST).exists()

    # a record from an earlier run is kept on resume ...
    record = {"case_id": plan.cases[0].case_id, "parameters": plan.cases[0].parameters, "status": "ok",
              "results": {"sent_mib": 2.5}, "duration_s": 1.0, "error": ""}
    (busy / "runs" / f"{plan.cases[0].case_id}.json").write_text(json.dumps(record))
    assert list(_prepare_out(busy, plan, force=False)) == [plan.cases[0].case_id]
    # ... refused when the notebook's cells changed ...
    changed = NOTEBOOK.read_text().replace("sent_mib = RATE_MIB_S * STEPS", "sent_mib = 2 * RATE_MIB_S * STEPS")
    (tmp_path / "sweep_fixture.ipynb").write_text(changed)
    with pytest.raises(SweepError, match="different version"):
        _prepare_out(busy, plan_sweep(tmp_path / "sweep_fixture.ipynb", FIXTURES / "sweep_grid.yaml"), force=False)
    # ... or when a fixed value changed under the same case id
    with pytest.raises(SweepError, match="same id but other parameters"):
        _prepare_out(busy, plan_sweep(NOTEBOOK, FIXTURES / "sweep_grid.yaml", {"LABEL": ["other"]}), force=False)
    # --force starts over: the old record is gone
    assert _prepare_out(busy, plan, force=True) == {}


def test_results_table_rows_columns_and_clashes():
    cases = [{"case_id": "a", "parameters": {"X": 1}}, {"case_id": "b", "parameters": {"X": 2}},
             {"case_id": "c", "parameters": {"X": 3}}]
    records = {
        "c": {"parameters": {"X": 3}, "status": "failed", "results": {}, "duration_s": 2.0, "error": "boom"},
        "a": {"parameters": {"X": 1}, "status": "ok", "results": {"y": 0.5, "X": 9, "status": "x"},
              "duration_s": 1.0, "error": ""},
    }
    table = results_table(cases, records)
    assert list(table.columns) == ["case_id", "X", "y", "result_X", "result_status", "status", "duration_s", "error"]
    assert list(table["case_id"]) == ["a", "c"]  # case order, finished cases only
    assert list(table["status"]) == ["ok", "failed"] and table.loc[1, "error"] == "boom"
    assert table.attrs["parameters"] == ["X"] and table.attrs["results"] == ["y", "result_X", "result_status"]


def test_grid_metrics_and_an_unreachable_scheduler(tmp_path, monkeypatch):
    assert parse_grid("grid: {STEPS: [1]}\nmetrics: [sent_mib]\n").metrics == ["sent_mib"]
    with pytest.raises(GridError, match="'metrics' must be a list of result names"):
        parse_grid("grid: {STEPS: [1]}\nmetrics: sent_mib\n")
    import vmlab.sweep.runner as runner

    monkeypatch.setattr(runner, "DASK_CONNECT_TIMEOUT_S", 1.0)
    out = tmp_path / "out"
    with pytest.raises(SweepError, match="cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'"):
        run_sweep(NOTEBOOK, FIXTURES / "sweep_grid.yaml", out, scheduler="tcp://127.0.0.1:9", progress=False, echo=None)
    assert not out.exists()


def test_adding_values_to_the_grid_keeps_finished_cases(tmp_path):
    small = plan_sweep(NOTEBOOK, FIXTURES / "sweep_grid.yaml")
    out = tmp_path / "grow"
    _prepare_out(out, small, force=False)
    first = small.cases[0]
    record = {"case_id": first.case_id, "parameters": first.parameters, "status": "ok", "results": {}, "error": ""}
    (out / "runs" / f"{first.case_id}.json").write_text(json.dumps(record))
    bigger = tmp_path / "bigger.yaml"
    bigger.write_text((FIXTURES / "sweep_grid.yaml").read_text().replace("[1, 0, 3]", "[1, 0, 3, 4]"))
    plan = plan_sweep(NOTEBOOK, bigger)
    assert [c.case_id for c in plan.cases] == ["steps=1", "steps=0", "steps=3", "steps=4"]
    assert list(_prepare_out(out, plan, force=False)) == ["steps=1"]  # only the new cases will run
    assert [c["case_id"] for c in json.loads((out / MANIFEST).read_text())["cases"]][-1] == "steps=4"
