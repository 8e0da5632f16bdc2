"""End to end: ``vmlab assign`` two notebooks, hand in copies, ``vmlab grade`` them (real kernels).

The notebooks and their exercise bank are test fixtures (``tests/fixtures/grading``), loaded
through ``VMLAB_EXERCISE_BANKS``: the workbook's own bank is not touched. One grading run
covers every case the grader must handle (key: full marks; untouched student copy: zero, ok; one right
and one wrong answer: exactly those points; a crash; an endless loop; a changed parameters
cell; a deleted exercise cell) and a per-group variant graded against its own parameters.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from vmlab.cli import main
from vmlab.exercises.bank import BANKS_ENV, find
from vmlab.exercises.kinds import Params
from vmlab.grading.cells import exercise_cells, parameters_cell, set_answer, set_parameters

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
G1 = FIXTURES / "notebooks" / "g1_copy_time.ipynb"
G2 = FIXTURES / "notebooks" / "g2_words.ipynb"
TIMEOUT_S = "40"  # the whole notebook: the fixture notebooks run in a few seconds, on a busy machine in 20

pytestmark = [pytest.mark.notebooks, pytest.mark.slow]


@pytest.fixture(scope="module")
def bank_env():
    mp = pytest.MonkeyPatch()
    mp.setenv(BANKS_ENV, str(FIXTURES / "bank"))
    yield
    mp.undo()


def _answer(path: Path, exercise: str, value) -> nbformat.NotebookNode:
    nb = nbformat.read(str(path), as_version=4)
    cell = nb.cells[exercise_cells(nb)[exercise].index]
    cell.source = set_answer(cell.source, f"answer_{exercise}", value)
    return nb


def _expected(exercise: str, parameters: dict):
    return find(exercise).expected_value(Params(parameters))


@pytest.fixture(scope="module")
def graded(bank_env, tmp_path_factory):
    """Build, hand in every kind of copy, grade once with 2 workers (module scope: one run for all tests)."""
    root = tmp_path_factory.mktemp("grading")
    asg = root / "asg"
    assert main(["assign", str(G1), str(G2), "--out", str(asg)]) == 0
    student, key = asg / "student", asg / "key"
    subs = root / "submissions"
    manifest = json.loads((asg / "assignment.json").read_text())
    defaults = manifest["assignments"]["g1_copy_time"]["parameters"]

    def put(rel: str, nb_or_path) -> None:
        target = subs / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(nb_or_path, Path):
            shutil.copy(nb_or_path, target)
        else:
            nbformat.write(nb_or_path, str(target))

    put("keyholder/g1_copy_time.ipynb", key / "g1_copy_time.ipynb")
    put("keyholder/g2_words.ipynb", key / "g2_words.ipynb")
    put("untouched/g1_copy_time.ipynb", student / "g1_copy_time.ipynb")
    written = _answer(student / "g2_words.ipynb", "g2b", "Because a conference is known in advance.")
    put("untouched/g2_words.ipynb", written)
    mixed = _answer(student / "g1_copy_time.ipynb", "g1a", _expected("g1a", defaults))
    cell = mixed.cells[exercise_cells(mixed)["g1b"].index]
    right = _expected("g1b", defaults)
    cell.source = set_answer(cell.source, "answer_g1b", "slow" if right == "fast" else "fast")
    put("mixed_g1_copy_time.ipynb", mixed)  # the flat layout: <student>_<name>.ipynb
    crash = nbformat.read(str(key / "g1_copy_time.ipynb"), as_version=4)
    crash.cells.insert(exercise_cells(crash)["g1a"].index, nbformat.v4.new_code_cell('raise RuntimeError("boom")'))
    put("crasher/g1_copy_time.ipynb", crash)
    loop = nbformat.read(str(key / "g1_copy_time.ipynb"), as_version=4)
    loop.cells.insert(exercise_cells(loop)["g1a"].index, nbformat.v4.new_code_cell("while True:\n    pass"))
    put("looper/g1_copy_time.ipynb", loop)
    tampered = nbformat.read(str(key / "g1_copy_time.ipynb"), as_version=4)
    params = parameters_cell(tampered)
    params.source = set_parameters(params.source, {"RATE_MIB_S": 1000.0})
    put("tamperer/g1_copy_time.ipynb", tampered)
    deleted = nbformat.read(str(key / "g1_copy_time.ipynb"), as_version=4)
    del deleted.cells[exercise_cells(deleted)["g1b"].index]
    put("deleter/g1_copy_time.ipynb", deleted)

    out = root / "grades.csv"
    code = main(["grade", str(subs), "--key", str(asg), "--out", str(out), "--workers", "2",
                 "--timeout", TIMEOUT_S, "--quiet"])
    table = pd.read_csv(out, dtype={"student": str})
    return {"root": root, "asg": asg, "subs": subs, "out": out, "code": code, "table": table.set_index("submission")}


def _row(graded, submission: str) -> pd.Series:
    return graded["table"].loc[submission]


def test_the_student_version_gives_nothing_away(graded):
    asg = graded["asg"]
    nb = nbformat.read(str(asg / "student" / "g1_copy_time.ipynb"), as_version=4)
    sources = "\n".join(c.source for c in nb.cells)
    assert "vl.solution" not in sources and "answer_g1a = ...  # seconds" in sources
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code")
    meta = nb.metadata["vmlab"]["assignment"]
    assert meta["id"] == "g1_copy_time" and meta["parameters"]["SIZE_MIB"] == 1000.0 and set(meta["fingerprint"]["exercises"]) == {"g1a", "g1b"}
    assert (asg / "data" / "rates.csv").is_file()  # the notebooks read ../data/rates.csv
    key = nbformat.read(str(asg / "key" / "g1_copy_time.ipynb"), as_version=4)
    assert "answer_g1a = 10.0  # seconds" in "\n".join(c.source for c in key.cells)


def test_the_gradebook_has_one_row_per_submission_and_the_documented_columns(graded):
    table = graded["table"].reset_index()
    assert list(table.columns[:4]) == ["submission", "student", "notebook", "variant"]
    assert list(table.columns[-4:]) == ["total", "max", "status", "duration_s"]
    assert {"g1a", "g1b", "g2a", "g2c"} <= set(table.columns) and "g2b" not in table.columns  # written: not marked
    assert len(table) == 9 and graded["code"] == 1  # some failed or were tampered with


def test_the_key_gets_full_marks(graded):
    for name, full in (("keyholder/g1_copy_time.ipynb", 2.0), ("keyholder/g2_words.ipynb", 3.0)):
        row = _row(graded, name)
        assert row["status"] == "ok" and row["total"] == row["max"] == full


def test_the_untouched_student_copy_gets_zero_and_runs(graded):
    row = _row(graded, "untouched/g1_copy_time.ipynb")
    assert row["status"] == "ok" and row["total"] == 0 and row["g1a"] == 0 and row["max"] == 2


def test_one_right_and_one_wrong_answer_get_exactly_those_points(graded):
    row = _row(graded, "mixed_g1_copy_time.ipynb")
    assert row["student"] == "mixed" and row["status"] == "ok"
    assert (row["g1a"], row["g1b"], row["total"]) == (1.0, 0.0, 1.0)


def test_a_crash_and_an_endless_loop_fail_with_their_reason_and_no_points(graded):
    crash = _row(graded, "crasher/g1_copy_time.ipynb")
    assert crash["status"].startswith("failed: RuntimeError: boom") and crash["total"] == 0
    loop = _row(graded, "looper/g1_copy_time.ipynb")
    assert loop["status"].startswith("failed:") and "timed out" in loop["status"].lower() and loop["total"] == 0


def test_tampered_copies_are_named_and_get_no_points(graded):
    changed = _row(graded, "tamperer/g1_copy_time.ipynb")
    assert changed["status"].startswith("tampered: parameters cell changed (RATE_MIB_S 100.0 -> 1000.0)")
    deleted = _row(graded, "deleter/g1_copy_time.ipynb")
    assert deleted["status"] == "tampered: exercise cell g1b deleted (or its tag 'exercise' removed)"
    for row in (changed, deleted):
        assert row["total"] == 0 and row["g1a"] == 0 and pd.isna(row["duration_s"])  # never run


def test_feedback_and_written_answers(graded):
    details = graded["out"].with_suffix("")
    mixed = (details / "feedback" / "mixed.md").read_text()
    assert "| g1b | 0 / 1 |" in mixed and "Fast means under 15 s." in mixed and "'fast'" in mixed
    written = (details / "written_answers.md").read_text()
    assert "## Exercise g2b" in written and "Because a conference is known in advance." in written


def test_grading_again_runs_nothing(graded, capsys):
    code = main(["grade", str(graded["subs"]), "--key", str(graded["asg"]), "--out", str(graded["out"]), "--quiet"])
    assert code == 1
    assert "0 to run" in capsys.readouterr().err
    again = pd.read_csv(graded["out"], dtype={"student": str}).set_index("submission")
    assert again["total"].equals(graded["table"]["total"])


def test_a_group_variant_is_graded_against_its_own_parameters(bank_env, tmp_path):
    asg = tmp_path / "groups"
    assert main(["assign", str(G1), "--variants", str(FIXTURES / "groups.yaml"), "--out", str(asg)]) == 0
    b = asg / "student" / "group-b" / "g1_copy_time.ipynb"
    nb = nbformat.read(str(b), as_version=4)
    assert "SIZE_MIB: float = 4000.0  # data to copy [500 .. 4000]" in parameters_cell(nb).source
    assert (asg / "student" / "data" / "rates.csv").is_file()  # ../data from student/group-b/
    subs = tmp_path / "subs"
    (subs / "bea").mkdir(parents=True)
    shutil.copy(asg / "key" / "group-b" / "g1_copy_time.ipynb", subs / "bea" / "g1_copy_time.ipynb")
    # a group-b student who answers with group a's numbers: 10 s and "fast" are wrong for 4000 MiB
    wrong = _answer(b, "g1a", 10.0)
    cell = wrong.cells[exercise_cells(wrong)["g1b"].index]
    cell.source = set_answer(cell.source, "answer_g1b", "fast")
    (subs / "ben").mkdir()
    nbformat.write(wrong, str(subs / "ben" / "g1_copy_time.ipynb"))
    out = tmp_path / "grades.csv"
    assert main(["grade", str(subs), "--key", str(asg), "--out", str(out), "--workers", "2", "--timeout", TIMEOUT_S, "--quiet"]) == 0
    table = pd.read_csv(out).set_index("student")
    assert (table.loc["bea", "variant"], table.loc["bea", "total"]) == ("group-b", 2.0)
    assert (table.loc["ben", "variant"], table.loc["ben", "total"]) == ("group-b", 0.0)
