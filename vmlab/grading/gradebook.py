"""The gradebook ``vmlab grade`` writes, and what an instructor reads from it.

* :func:`grades_table`: one row per submission (``submission``, ``student``, ``notebook``,
  ``variant``, one column of points per marked exercise, ``total``, ``max``, ``status``,
  ``duration_s``), the content of ``grades.csv``.
* :func:`read_grades`: ``grades.csv`` back, with the exercises' points in ``table.attrs``.
* :func:`exercise_difficulty`: per exercise, the share of submissions that got it right.
* :func:`write_feedback`, :func:`write_written_answers`: the per-student feedback files and the
  written answers, collected for the instructor.

>>> import pandas as pd
>>> info = {"2a": {"notebook": "02_x", "kind": "number", "points": 1.0},
...         "2b": {"notebook": "02_x", "kind": "choice", "points": 2.0}}
>>> table = pd.DataFrame({"notebook": ["02_x"] * 3, "2a": [1.0, 0.0, 1.0], "2b": [2.0, 2.0, 0.0],
...                       "status": ["ok", "ok", "ok"]})
>>> table.attrs["exercises"] = info
>>> exercise_difficulty(table)[["exercise", "share_right"]].round(2).values.tolist()
[['2a', 0.67], ['2b', 0.67]]
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["grades_table", "read_grades", "exercise_difficulty", "write_feedback", "write_written_answers", "FIXED_COLUMNS"]

FIXED_COLUMNS = ("submission", "student", "notebook", "variant")
"""The first columns of ``grades.csv``; the exercises follow, then ``total``, ``max``, ``status``, ``duration_s``."""


def grades_table(records: Iterable[Mapping[str, Any]], exercises: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """One row per graded submission, sorted by student and notebook.

    An exercise's column holds the points earned (0 when unanswered, tampered or not reached),
    empty for the exercises of other notebooks. Written exercises have no column (they are read
    by the instructor, see :func:`write_written_answers`).
    """
    marked = [ex_id for ex_id, info in exercises.items() if info.get("kind") != "written"]
    rows = []
    for record in records:
        row: dict[str, Any] = {name: record.get(name) or "" for name in FIXED_COLUMNS}
        total = maximum = 0.0
        for mark in record.get("marks", []):
            if not mark.get("graded", True):
                continue
            row[mark["exercise"]] = round(float(mark["points"]), 4)
            total += float(mark["points"])
            maximum += float(mark["max_points"])
        row.update(total=round(total, 4), max=round(maximum, 4), status=record.get("status", ""),
                   duration_s=record.get("duration_s"))
        rows.append(row)
    columns = [*FIXED_COLUMNS, *marked, "total", "max", "status", "duration_s"]
    table = pd.DataFrame(rows, columns=columns)
    if len(table):
        table = table.sort_values(["student", "notebook", "submission"], kind="stable").reset_index(drop=True)
    table.attrs["exercises"] = {k: dict(v) for k, v in exercises.items() if k in marked}
    return table


def read_grades(path: str | Path) -> pd.DataFrame:
    """``grades.csv`` with ``table.attrs["exercises"]`` (id -> notebook, kind, points) from its details folder."""
    path = Path(path)
    table = pd.read_csv(path, dtype={"student": str, "variant": str, "submission": str})
    info_path = path.with_suffix("") / "grading.json"
    exercises = {}
    if info_path.exists():
        exercises = json.loads(info_path.read_text(encoding="utf-8")).get("exercises", {})
    table.attrs["exercises"] = {k: v for k, v in exercises.items() if k in table.columns}
    return table


def exercise_difficulty(grades: pd.DataFrame, *, only_ok: bool = True) -> pd.DataFrame:
    """Per exercise: submissions marked, how many got full points, their share, the mean points.

    Rows come in the order of ``grades.attrs["exercises"]``. With ``only_ok`` (the default) only
    submissions with status ``ok`` count, so a crashed or tampered notebook does not make an
    exercise look harder than it is.
    """
    exercises = grades.attrs.get("exercises") or {}
    table = grades[grades["status"] == "ok"] if only_ok and "status" in grades.columns else grades
    rows = []
    for ex_id, info in exercises.items():
        if ex_id not in table.columns:
            continue
        points = pd.to_numeric(table[ex_id], errors="coerce").dropna()
        full = float(info.get("points", 1.0))
        right = int((points >= full - 1e-9).sum()) if full > 0 else 0
        rows.append({
            "exercise": ex_id, "notebook": info.get("notebook", ""), "submissions": len(points),
            "right": right, "share_right": right / len(points) if len(points) else float("nan"),
            "mean_points": float(points.mean()) if len(points) else float("nan"), "max_points": full,
        })
    return pd.DataFrame(rows, columns=["exercise", "notebook", "submissions", "right", "share_right", "mean_points", "max_points"])


def _cell(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|") if text not in (None, "") else "—"


def _answer_text(answer: Any) -> str:
    from vmlab.exercises import from_jsonable

    value = from_jsonable(answer)
    if value is Ellipsis:
        return "not answered"
    return repr(value) if not isinstance(value, float) else f"{value:.6g}"


def write_feedback(records: Iterable[Mapping[str, Any]], folder: str | Path) -> list[Path]:
    """One Markdown file per student (``<student>.md``): for each notebook they handed in, each exercise
    with their points, their answer, what was expected and the hint."""
    from vmlab.sweep.store import atomic_write

    by_student: dict[str, list[Mapping[str, Any]]] = {}
    for record in records:
        by_student.setdefault(record.get("student") or "unknown", []).append(record)
    folder = Path(folder)
    written = []
    for student, items in sorted(by_student.items()):
        lines = [f"# Feedback for {student}", ""]
        for record in sorted(items, key=lambda r: (r.get("notebook", ""), r.get("submission", ""))):
            graded = [m for m in record.get("marks", []) if m.get("graded", True)]
            total = sum(m["points"] for m in graded)
            maximum = sum(m["max_points"] for m in graded)
            title = record.get("notebook") or record.get("submission")
            variant = f", worksheet {record['variant']}" if record.get("variant") else ""
            lines += [f"## {title}{variant}: {total:g} of {maximum:g} points", "",
                      f"Submission `{record.get('submission')}`; status: {record.get('status')}.", ""]
            if record.get("note"):
                lines += [f"Note: {record['note']}.", ""]
            if record.get("marks"):
                lines += ["| Exercise | Points | Your answer | Expected | Comment | Hint |", "|---|---|---|---|---|---|"]
                for m in record["marks"]:
                    points = f"{m['points']:g} / {m['max_points']:g}" if m.get("graded", True) else "read by your instructor"
                    expected = m.get("expected") if m.get("graded", True) else "—"
                    hint = "" if m.get("hint") and m["hint"] in (m.get("message") or "") else m.get("hint")
                    lines.append(f"| {m['exercise']} | {points} | {_cell(_answer_text(m.get('answer')))} | {_cell(expected)} "
                                 f"| {_cell(m.get('message'))} | {_cell(hint)} |")
                lines.append("")
        path = folder / f"{_safe(student)}.md"
        atomic_write(path, "\n".join(lines))
        written.append(path)
    return written


def _safe(name: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9._=+@-]+", "-", name).strip("-") or "unknown"


def write_written_answers(records: Iterable[Mapping[str, Any]], path: str | Path) -> Path:
    """Every written answer, grouped by exercise, each under the student's id (for the instructor to read)."""
    from vmlab.exercises import from_jsonable
    from vmlab.sweep.store import atomic_write

    by_exercise: dict[str, list[tuple[str, str]]] = {}
    for record in records:
        for m in record.get("marks", []):
            if m.get("kind") != "written":
                continue
            answer = from_jsonable(m.get("answer"))
            text = answer if isinstance(answer, str) else ("(not answered)" if answer is Ellipsis else repr(answer))
            by_exercise.setdefault(m["exercise"], []).append((record.get("student") or "unknown", text))
    lines = ["# Written answers", "", "Not marked automatically: read them and add the points by hand.", ""]
    if not by_exercise:
        lines.append("(none of the graded notebooks asks for a written answer)")
    for ex_id, answers in sorted(by_exercise.items()):
        lines += [f"## Exercise {ex_id}", ""]
        for student, text in sorted(answers):
            lines += [f"**{student}**:", "", "> " + "\n> ".join(text.splitlines() or [""]), ""]
    atomic_write(Path(path), "\n".join(lines))
    return Path(path)
