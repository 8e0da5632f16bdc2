"""Exercises: marking, the bank, claims, predictions, and the answer records ``vmlab grade`` reads."""

from __future__ import annotations

import math

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

import vmlab as vl
from tests.nbtools import NOTEBOOKS, answers_revealed_early, executed_parameters
from vmlab.exercises import ANSWER_MIME, ClaimError, Feedback, from_jsonable, read_answers
from vmlab.exercises.bank import all_exercises, exercises_of, find
from vmlab.exercises.kinds import Choice, Match, MissingParameter, Number, Written

COLD = dict(MEMORY_MIB=4096.0, ZERO_FRACTION=0.2, DISK_GIB=40.0, BANDWIDTH_MIB_S=119.2, LATENCY_MS=0.1,
            SHUTDOWN_S=20.0, BOOT_S=40.0)


# ---- kinds ------------------------------------------------------------------------------------
def test_number_within_tolerance_and_direction():
    ex = Number("t1", lambda p: 10 * p.X, rtol=0.05, unit="s", hint="Multiply.")
    assert ex.mark(10.4, {"X": 1}).correct
    wrong = ex.mark(12, {"X": 1})
    assert not wrong.correct and "too high" in wrong.message and "Multiply." in wrong.message
    assert "10" not in wrong.message.replace("12", "")  # the expected value is not given away
    assert "too low" in ex.mark(5, {"X": 1}).message
    assert not ex.mark("ten", {"X": 1}).correct
    assert not ex.mark(math.nan, {"X": 1}).correct
    unanswered = ex.mark(..., {"X": 1})
    assert not unanswered.answered and unanswered.points == 0


def test_number_follows_the_parameters():
    ex = Number("t2", lambda p: 2 * p.X)
    assert ex.mark(4, {"X": 2}).correct and not ex.mark(4, {"X": 3}).correct


def test_number_may_expect_a_word():
    ex = Number("t3", lambda p: "never")
    assert ex.mark("Never ", {}).correct and not ex.mark(3.0, {}).correct


def test_missing_parameter_is_named():
    with pytest.raises(MissingParameter, match="needs the notebook parameter DISK_GIB"):
        Number("t4", lambda p: p.DISK_GIB).mark(1, {})


def test_choice_gives_feedback_on_each_wrong_option():
    ex = Choice("t5", ("a", "b", "c"), "b", feedback={"a": "A is the disk move.", "c": "C is the boot."})
    assert ex.mark("B", {}).correct
    assert "A is the disk move." in ex.mark("a", {}).message
    assert "choose one of" in ex.mark("z", {}).message
    with pytest.raises(ValueError, match="not one of the options"):
        Choice("t6", ("a", "b"), "c")
    with pytest.raises(ValueError, match="feedback for options that do not exist"):
        Choice("t7", ("a", "b"), "a", feedback={"x": "?"})


def test_choice_with_booleans():
    ex = Choice("t8", (True, False), lambda p: p.OK)
    assert ex.mark(True, {"OK": True}).correct and not ex.mark(False, {"OK": True}).correct


def test_match_gives_a_share_of_the_points():
    ex = Match("t9", {"prototype": "self-service", "bank core": "advance", "flash sale": "dynamic"},
               options=("self-service", "advance", "dynamic"), feedback={"bank core": "A contract, planned ahead."},
               points=3)
    full = ex.mark({"prototype": "self-service", "bank core": "advance", "flash sale": "dynamic"}, {})
    assert full.correct and full.points == 3
    part = ex.mark({"prototype": "self-service", "bank core": "dynamic", "flash sale": "dynamic"}, {})
    assert not part.correct and part.points == 2 and "A contract, planned ahead." in part.message
    assert "Still to match" in ex.mark({"prototype": "self-service"}, {}).message


def test_written_answers_are_recorded_not_marked():
    ex = Written("t10", min_words=3)
    mark = ex.mark("Because the disk is shared.", {})
    assert mark.correct and not mark.graded and mark.points == 0
    assert "recorded" in mark.message


def test_hidden_checks_run_only_when_asked():
    ex = Number("t11", lambda p: 1.0)
    ex.hidden_check(lambda answer, p: None if isinstance(answer, float) else "give a float")
    assert ex.mark(1, {}).correct
    assert not ex.mark(1, {}, hidden=True).correct
    assert ex.mark(1.0, {}, hidden=True).correct


# ---- check, solution, claim, reveal -----------------------------------------------------------
def test_check_reads_the_notebook_parameters_from_the_caller():
    globals().update(COLD)
    try:
        right = vl.exercises.expected("2a")
        assert vl.check("2a", right).correct
        assert not vl.check("2a", right * 1.5).correct
        globals()["DISK_GIB"] = 400.0
        assert not vl.check("2a", right).correct  # the expected value followed the parameter
    finally:
        for name in COLD:
            globals().pop(name, None)


def test_check_with_explicit_parameters_and_unknown_id():
    assert vl.check("2c", "c", params=COLD).correct
    with pytest.raises(KeyError, match="exercises of that notebook: 2a"):
        vl.check("2z", 1, params=COLD)


def test_feedback_records_the_answer_for_grading():
    bundle = vl.check("2a", 6.8, params=COLD)._repr_mimebundle_()
    assert bundle[ANSWER_MIME] == {"exercise": "2a", "answer": 6.8, "answered": True}
    assert "✔" in bundle["text/html"]
    assert vl.check("2a", ..., params=COLD)._repr_mimebundle_()[ANSWER_MIME]["answered"] is False


@pytest.mark.parametrize("answer", [1.5, 3, "x", True, math.inf, {"a": "b"}, [1, 2], None])
def test_answer_records_round_trip(answer):
    record = Feedback("x", False, True, "", answer)._repr_mimebundle_()[ANSWER_MIME]["answer"]
    back = from_jsonable(record)
    assert back == (Ellipsis if answer is None else answer)


def test_read_answers_from_an_executed_notebook():
    cell = new_code_cell("vl.check('2a', 6.8)")
    cell.outputs = [new_output("execute_result", data=vl.check("2a", 6.8, params=COLD)._repr_mimebundle_())]
    other = new_code_cell("vl.check('2c', ...)")
    other.outputs = [new_output("execute_result", data=vl.check("2c", ..., params=COLD)._repr_mimebundle_())]
    assert read_answers(new_notebook(cells=[cell, other])) == {"2a": 6.8, "2c": Ellipsis}


def test_solution_is_collapsed_and_computed():
    text = vl.solution("2a", params=COLD)._repr_markdown_()
    assert text.startswith("<details><summary>Solution 2a</summary>") and "408 s" in text
    assert "837 s" in vl.solution("2a", params={**COLD, "DISK_GIB": 90.0})._repr_markdown_()


def test_claim_shows_a_line_and_raises_only_when_strict(monkeypatch, capsys):
    monkeypatch.delenv("VMLAB_STRICT", raising=False)
    vl.claim("one plus one is two", 1 + 1 == 2)
    vl.claim("pigs fly", False)
    out = capsys.readouterr().out
    assert "✔ one plus one is two" in out and "✘ pigs fly" in out
    monkeypatch.setenv("VMLAB_STRICT", "1")
    with pytest.raises(ClaimError, match="pigs fly"):
        vl.claim("pigs fly", False)


def test_reveal_compares_a_prediction(capsys):
    vl.reveal(5, 6.8, unit="min")
    vl.reveal(..., 6.8, unit="min")
    out = capsys.readouterr().out
    assert "You predicted 5 min" in out and "too low" in out and "No prediction recorded" in out


def test_ad_hoc_check_still_takes_expected():
    assert vl.check("demo", 10.4, expected=10.0).correct


# ---- the bank ----------------------------------------------------------------------------------
def _default_parameters(notebook: str) -> dict:
    nb = nbformat.read(str(NOTEBOOKS / f"{notebook}.ipynb"), as_version=4)
    return executed_parameters(nb)


BANK = sorted(all_exercises().values(), key=lambda e: (e.notebook, e.id))


@pytest.mark.parametrize("ex", BANK, ids=[e.id for e in BANK])
def test_every_exercise_is_answerable_with_its_notebook_defaults(ex):
    params = _default_parameters(ex.notebook)
    if isinstance(ex, Written):
        return
    expected = ex.expected_value(params)
    assert ex.mark(expected, params).correct, f"{ex.id}: its own expected value is not marked right"
    assert ex.solution_markdown(params), f"{ex.id} has no worked solution"
    if isinstance(ex, Number) and isinstance(expected, float):
        assert math.isfinite(expected) or math.isinf(expected), f"{ex.id}: expected value is NaN"


def test_every_bank_module_names_an_existing_notebook():
    for ex in BANK:
        assert (NOTEBOOKS / f"{ex.notebook}.ipynb").exists(), ex.notebook
    assert [e.id for e in exercises_of("02_cold_migration.ipynb")][:2] == ["2a", "2b"]
    assert find("2a").notebook == "02_cold_migration"


# ---- the ordering check on executed notebooks -------------------------------------------------
def test_an_answer_printed_above_its_check_is_caught():
    params = new_code_cell("\n".join(f"{k}: float = {v}" for k, v in COLD.items()), metadata={"tags": ["parameters"]})
    early = new_code_cell("print(c.downtime_s / 60)")
    early.outputs = [new_output("stream", name="stdout", text="down for 6.8 min\n")]
    check = new_code_cell("vl.check('2a', answer_2a)")
    nb = new_notebook(cells=[params, early, check])
    assert answers_revealed_early(nb, "02_cold_migration") == [
        "exercise 2a: its answer 6.8 is printed by cell 1, above its check (cell 2)"
    ]
    nb.cells = [params, check, early]
    assert answers_revealed_early(nb, "02_cold_migration") == []


def test_match_accepts_item_numbers_and_option_letters():
    ex = Match("t12", {"prototype": "self-service", "bank core": "advance"}, options=("self-service", "advance"))
    assert ex.mark({1: "a", "2": "B"}, {}).correct
    assert ex.mark({1: "a", 2: "a"}, {}).points == 0.5


def test_environment_report_reads_the_pins_from_the_package():
    env = vl.environment_report()
    assert {"python", "numpy", "pandas", "plotly", "ipywidgets", "FigureWidget"} <= set(env.index)
    assert env["ok"].dtype == bool


def test_a_warning_in_a_notebook_output_is_caught():
    from tests.nbtools import warnings_shown

    cell = new_code_cell("c.downtime_s")
    cell.outputs = [new_output("stream", name="stderr",
                               text="<ipython>:1: DeprecationWarning: ColdResult.downtime_s is deprecated\n  c.downtime_s\n")]
    assert warnings_shown(new_notebook(cells=[cell])) == [
        "cell 0: <ipython>:1: DeprecationWarning: ColdResult.downtime_s is deprecated"
    ]


def test_in_a_voila_app_an_unanswered_exercise_points_to_jupyterlab(monkeypatch, capsys):
    from vmlab.exercises import APP_MESSAGE, in_app

    monkeypatch.delenv("VOILA_KERNEL_ID", raising=False)
    monkeypatch.delenv("VOILA_BASE_URL", raising=False)
    assert not in_app()
    assert "replace ..." in vl.check("demo", ..., expected=1.0).message
    monkeypatch.setenv("VOILA_KERNEL_ID", "k1")
    assert in_app()
    feedback = vl.check("demo", ..., expected=1.0)
    assert feedback.message == APP_MESSAGE and "make lab" in feedback._repr_html_()
    assert vl.check("demo", 1.0, expected=1.0).correct, "an answer is still marked in the app"
    vl.reveal(..., 12.0, unit="s")
    out = capsys.readouterr().out
    assert "gives 12 s" in out and "Next time" not in out
