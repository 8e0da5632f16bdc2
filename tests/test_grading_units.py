"""Units of the instructor pipeline without kernels: cells, rosters, seeded variants, matching, tampering, the gradebook."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from vmlab.exercises.bank import BANKS_ENV, all_exercises, find
from vmlab.grading.assign import AssignError, build_assignment, read_roster, student_parameters
from vmlab.grading.cells import (
    exercise_cells,
    literal,
    parameter_ranges,
    parameter_values,
    parameters_cell,
    set_answer,
    set_parameters,
)
from vmlab.grading.grade import GradeError, _match, _tampering, find_submissions, load_key
from vmlab.grading.gradebook import exercise_difficulty, grades_table, read_grades, write_feedback, write_written_answers

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
G1 = FIXTURES / "notebooks" / "g1_copy_time.ipynb"
G2 = FIXTURES / "notebooks" / "g2_words.ipynb"
NB02 = Path(__file__).resolve().parents[1] / "notebooks" / "02_cold_migration.ipynb"


@pytest.fixture
def bank(monkeypatch):
    monkeypatch.setenv(BANKS_ENV, str(FIXTURES / "bank"))


# ------------------------------------------------------------------------------- cells
def test_parameters_are_rewritten_in_place_with_types_and_comments_kept():
    source = 'A: float = 1.0  # MiB [0.5 .. 2]\nB: str = "x"  # [x | y]\nC: int = 3  # no range'
    new = set_parameters(source, {"A": 1.5, "B": "y"})
    assert new == 'A: float = 1.5  # MiB [0.5 .. 2]\nB: str = "y"  # [x | y]\nC: int = 3  # no range'
    assert parameter_values(new) == {"A": 1.5, "B": "y", "C": 3}
    with pytest.raises(KeyError, match="not parameters of this notebook: D"):
        set_parameters(source, {"D": 1})


def test_ranges_are_read_from_comments_and_an_empty_range_is_an_error():
    ranges = parameter_ranges('A: float = 1.0  # MiB [0.5 .. 2]\nN: int = 4  # [2 .. 8]\nB: bool = True  # [True | False]\nC: float = 1.0  # none')
    assert (ranges["A"].low, ranges["A"].high, ranges["A"].integer) == (0.5, 2.0, False)
    assert ranges["N"].integer and ranges["B"].options == (True, False) and "C" not in ranges
    with pytest.raises(ValueError, match=r"parameter A: its range \[3 .. 1\] is empty"):
        parameter_ranges("A: float = 2.0  # [3 .. 1]")


def test_answers_are_scaffolded_or_filled_even_across_lines():
    cell = 'answer_x = {"a": 1,\n            "b": 2}  # a dict\nvl.check("x", answer_x)'
    assert set_answer(cell, "answer_x") == 'answer_x = ...  # a dict\nvl.check("x", answer_x)'
    filled = set_answer('answer_x = ...  # s\nvl.check("x", answer_x)', "answer_x", {"k": "v"})
    assert filled.startswith('answer_x = {"k": "v"}  # s')
    assert literal(float("inf")) == 'float("inf")' and literal("é") == '"é"' and literal((1,)) == "(1,)"


def test_exercise_cells_are_found_by_tag_and_check_call():
    nb = nbformat.read(str(NB02), as_version=4)
    cells = exercise_cells(nb)
    assert list(cells) == ["2a", "2b", "2c", "2f", "2e", "2d"] and cells["2a"].variable == "answer_2a"
    original = nb.cells[cells["2a"].index].source
    reformatted = original.replace('vl.check("2a", answer_2a)', "vl.check( '2a' , answer_2a )  # spacing")
    nb.cells[cells["2a"].index].source = reformatted
    assert exercise_cells(nb)["2a"].fingerprint == cells["2a"].fingerprint  # spacing and comments do not count
    nb.cells[cells["2a"].index].source = original.replace("answer_2a)", "12.0)")
    assert exercise_cells(nb)["2a"].fingerprint != cells["2a"].fingerprint


# ------------------------------------------------------------------------ rosters, seeds
def test_a_roster_is_one_id_per_line_with_an_optional_header(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,name\ns001,Ana\n\ns002,Bo\n")
    assert read_roster(roster) == ["s001", "s002"]
    roster.write_text("s001\ns001\n")
    with pytest.raises(AssignError, match="listed twice: s001"):
        read_roster(roster)
    roster.write_text("a b\n")
    with pytest.raises(AssignError, match="ids must be"):
        read_roster(roster)


def test_seeded_parameters_are_reproducible_within_range_and_differ_between_students():
    source = parameters_cell(nbformat.read(str(G1), as_version=4)).source
    ranges = parameter_ranges(source)
    drawn = [student_parameters(source, "g1_copy_time", f"s{i:03d}") for i in range(40)]
    assert drawn[0] == student_parameters(source, "g1_copy_time", "s000")
    for values in drawn:
        assert 500 <= values["SIZE_MIB"] <= 4000 and 50 <= values["RATE_MIB_S"] <= 200
        assert values["LABEL"] in ranges["LABEL"].options
    assert len({v["SIZE_MIB"] for v in drawn}) > 30
    assert student_parameters(source, "other_notebook", "s000") != drawn[0]


def test_per_student_build_writes_one_worksheet_each_with_its_own_key(bank, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("ana\nbo\n")
    summary = build_assignment([G1], tmp_path / "asg", roster=roster)
    assert summary.built == ["ana/g1_copy_time", "bo/g1_copy_time"]
    manifest = json.loads((tmp_path / "asg" / "assignment.json").read_text())
    for sid in ("ana", "bo"):
        entry = manifest["assignments"][f"{sid}/g1_copy_time"]
        params = entry["parameters"]
        key = nbformat.read(str(tmp_path / "asg" / "key" / sid / "g1_copy_time.ipynb"), as_version=4)
        assert f"answer_g1a = {params['SIZE_MIB'] / params['RATE_MIB_S']!r}" in key.cells[exercise_cells(key)["g1a"].index].source
        assert key.metadata["vmlab"]["assignment"]["student"] == sid
    assert (tmp_path / "asg" / "student" / "data" / "rates.csv").is_file()


def test_a_notebook_that_types_expected_values_is_not_handed_out(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 09 · Old"),
        nbformat.v4.new_code_cell("X: float = 1.0", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell('check("9a", answer, expected=2 * X)'),
    ])
    path = tmp_path / "09_old.ipynb"
    nbformat.write(nb, str(path))
    summary = build_assignment([path, NB02], tmp_path / "out")
    assert summary.built == ["02_cold_migration"]
    assert "passes expected= to check" in summary.skipped["09_old.ipynb"]


def test_an_earlier_build_is_not_overwritten_without_force(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    with pytest.raises(AssignError, match="not empty"):
        build_assignment([NB02], tmp_path / "out")
    build_assignment([NB02], tmp_path / "out", force=True)
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine"


# ---------------------------------------------------------------- submissions, matching
def test_both_export_layouts_give_the_student_and_the_notebook(tmp_path):
    for rel in ("ana/g1_copy_time.ipynb", "bo_g1_copy_time.ipynb", "cy_42_g2_words-1.ipynb", ".ipynb_checkpoints/x.ipynb", "stray.ipynb"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("{}")
    found = {s.rel: (s.submitter, s.name_hint) for s in find_submissions(tmp_path, ["g1_copy_time", "g2_words"])}
    assert found == {
        "ana/g1_copy_time.ipynb": ("ana", "g1_copy_time"),
        "bo_g1_copy_time.ipynb": ("bo", "g1_copy_time"),
        "cy_42_g2_words-1.ipynb": ("cy_42", "g2_words"),
        "stray.ipynb": ("stray", None),
    }
    with pytest.raises(GradeError, match="does not exist"):
        find_submissions(tmp_path / "nope", [])


def test_matching_uses_metadata_first_and_the_file_name_only_when_it_fits_one_assignment(bank, tmp_path):
    build_assignment([G1, G2], tmp_path / "asg")
    assignments = load_key(tmp_path / "asg")["assignments"]
    nb = nbformat.read(str(tmp_path / "asg" / "student" / "g1_copy_time.ipynb"), as_version=4)
    (sub,) = find_submissions(_one(tmp_path / "s1", "x_g2_words.ipynb", nb), ["g1_copy_time", "g2_words"])
    assert _match(nb, sub, assignments)[0]["id"] == "g1_copy_time"  # metadata wins over the file name
    del nb.metadata["vmlab"]
    assert _match(nb, sub, assignments)[0]["id"] == "g2_words" and "matched by its file name" in _match(nb, sub, assignments)[2]
    (other,) = find_submissions(_one(tmp_path / "s2", "x.ipynb", nb), ["g1_copy_time", "g2_words"])
    assert _match(nb, other, assignments)[1].startswith("failed: cannot tell which assignment")
    nb.metadata["vmlab"] = {"assignment": {"id": "nope"}}
    assert _match(nb, sub, assignments)[1] == "tampered: its assignment 'nope' is not in this key"
    with pytest.raises(GradeError, match="holds no assignment.json"):
        load_key(tmp_path)


def _one(folder: Path, name: str, nb) -> Path:
    folder.mkdir()
    nbformat.write(nb, str(folder / name))
    return folder


def test_tampering_is_named_and_harmless_edits_are_not(bank, tmp_path):
    build_assignment([G1], tmp_path / "asg")
    a = load_key(tmp_path / "asg")["assignments"]["g1_copy_time"]
    nb = nbformat.read(str(tmp_path / "asg" / "student" / "g1_copy_time.ipynb"), as_version=4)
    (sub,) = find_submissions(_one(tmp_path / "s", "ana_g1_copy_time.ipynb", nb), ["g1_copy_time"])
    params = parameters_cell(nb)
    params.source = params.source.replace("# data to copy", "# my note")  # a comment: fine
    nb.cells.append(nbformat.v4.new_code_cell("x = 1  # my own cell"))
    assert _tampering(nb, a, sub, set()) == []
    params.source = set_parameters(params.source, {"SIZE_MIB": 1.0})
    nb.cells = [c for c in nb.cells if c.cell_type != "code" or "g1b" not in c.source]
    assert _tampering(nb, a, sub, set()) == [
        "parameters cell changed (SIZE_MIB 1000.0 -> 1.0)",
        "exercise cell g1b deleted (or its tag 'exercise' removed)",
    ]


# ------------------------------------------------------------------------------ gradebook
def _records():
    def mark(ex, kind, points, maximum, answer, message="", graded=True):
        return {"exercise": ex, "kind": kind, "points": points, "max_points": maximum, "answer": answer,
                "expected": "10 s", "message": message, "hint": "Divide.", "graded": graded}
    return [
        {"submission": "b/g1.ipynb", "student": "b", "notebook": "g1", "variant": "", "status": "ok", "duration_s": 3.0,
         "marks": [mark("g1a", "number", 1.0, 1.0, 10.0), mark("g2b", "written", 0.0, 0.0, "I think so.", graded=False)]},
        {"submission": "a/g1.ipynb", "student": "a", "notebook": "g1", "variant": "", "status": "failed: X", "duration_s": 2.0,
         "marks": [mark("g1a", "number", 0.0, 1.0, None, "not answered | really")]},
    ]


def test_the_gradebook_table_sums_marked_exercises_and_sorts_by_student():
    info = {"g1a": {"notebook": "g1", "kind": "number", "points": 1.0}, "g2b": {"notebook": "g1", "kind": "written", "points": 0.0}}
    table = grades_table(_records(), info)
    assert list(table.columns) == ["submission", "student", "notebook", "variant", "g1a", "total", "max", "status", "duration_s"]
    assert list(table["student"]) == ["a", "b"] and list(table["total"]) == [0.0, 1.0] and list(table["max"]) == [1.0, 1.0]
    difficulty = exercise_difficulty(table)
    assert difficulty.loc[0, ["submissions", "right", "share_right"]].tolist() == [1, 1, 1.0]  # the failed one does not count
    assert exercise_difficulty(table, only_ok=False).loc[0, "share_right"] == 0.5


def test_read_grades_brings_back_the_exercise_points(tmp_path):
    info = {"g1a": {"notebook": "g1", "kind": "number", "points": 1.0}}
    grades_table(_records(), info).to_csv(tmp_path / "grades.csv", index=False)
    (tmp_path / "grades").mkdir()
    (tmp_path / "grades" / "grading.json").write_text(json.dumps({"exercises": info}))
    assert read_grades(tmp_path / "grades.csv").attrs["exercises"] == info


def test_feedback_and_written_answers_files(tmp_path):
    paths = write_feedback(_records(), tmp_path / "feedback")
    assert [p.name for p in paths] == ["a.md", "b.md"]
    a = (tmp_path / "feedback" / "a.md").read_text()
    assert "| g1a | 0 / 1 | not answered | 10 s | not answered \\| really | Divide. |" in a and "status: failed: X" in a
    b = (tmp_path / "feedback" / "b.md").read_text()
    assert "| g2b | read by your instructor | 'I think so.' |" in b
    text = write_written_answers(_records(), tmp_path / "written.md").read_text()
    assert "## Exercise g2b" in text and "**b**:" in text and "> I think so." in text


def test_an_extra_bank_folder_adds_exercises_without_touching_the_workbook(bank):
    assert find("g1a").notebook == "g1_copy_time" and find("2a").notebook == "02_cold_migration"


def test_without_the_variable_the_test_bank_is_not_loaded(monkeypatch):
    monkeypatch.delenv(BANKS_ENV, raising=False)
    assert "g1a" not in all_exercises() and "2a" in all_exercises()
