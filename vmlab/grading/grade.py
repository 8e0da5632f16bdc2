"""``vmlab grade``: run every submitted notebook in a fresh kernel and mark it against its key.

::

    vmlab grade SUBMISSIONS_DIR --key DIR --out grades.csv [--workers N | --scheduler ADDRESS] [--timeout S]

``SUBMISSIONS_DIR`` holds what a learning platform exports: one folder per student
(``<student>/<name>.ipynb``) or flat files (``<student>_<name>.ipynb``). Each submission is matched
to its assignment by the metadata ``vmlab assign`` wrote into it (the file name only when that is
missing and one assignment fits), then checked for tampering: its parameters cell must hold the
assigned values and every exercise cell must be there with its ``check`` call unchanged. A
tampered submission gets no points and is not run. The others run top to bottom with papermill
(the sweep's local worker processes or Dask cluster, a time limit for the whole notebook); the
answers ``check`` recorded in the exercise cells are marked in this process, against the bank's
expected values for the *assigned* parameters, hidden checks included. A notebook that stops
(an error, the time limit) keeps the points of the exercises it answered before it stopped.

Next to ``grades.csv`` (one row per submission) a folder of the same name holds::

    grades/runs/<submission>.json|.ipynb   each submission's marks and executed notebook (resume: kept)
    grades/feedback/<student>.md           per student: each exercise, points, what was expected, the hint
    grades/written_answers.md              the written answers, by exercise, for the instructor to read
    grades/grading.json                    the exercises and their points (what read_grades needs)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vmlab.grading.assign import MANIFEST, METADATA_KEY
from vmlab.grading.cells import (
    cell_answer,
    exercise_cells,
    parameter_values,
    parameters_cell,
    parameters_fingerprint,
)

__all__ = ["GradeError", "GradeSummary", "Submission", "find_submissions", "grade_submissions", "load_key", "DEFAULT_TIMEOUT_S"]

DEFAULT_TIMEOUT_S = 300.0
"""Seconds a submission may run in all before it fails (an endless loop must not block a worker)."""
_CSV_EVERY_S = 2.0


class GradeError(RuntimeError):
    """Grading cannot start: no key, no submissions, an unreachable cluster."""


@dataclass(frozen=True)
class Submission:
    """One submitted notebook: where it is, who handed it in (from the layout), which notebook its name says."""

    path: Path
    rel: str
    submitter: str | None
    name_hint: str | None

    @property
    def key(self) -> str:
        """A file name for this submission's records (readable, unique per path)."""
        slug = re.sub(r"[^A-Za-z0-9._=+-]+", "-", self.rel.removesuffix(".ipynb").replace("/", "__")).strip("-")
        return f"{slug[:100]}~{hashlib.sha256(self.rel.encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class GradeSummary:
    """What :func:`grade_submissions` did; ``table`` is the content of ``grades.csv``."""

    out: Path
    total: int
    ok: int
    failed: int
    tampered: int
    ran: int
    kept: int
    interrupted: bool
    elapsed_s: float
    table: Any = field(repr=False)

    def __str__(self) -> str:
        details = self.out.with_suffix("")
        return (
            f"{self.total} submissions: {self.ok} ok, {self.failed} failed, {self.tampered} tampered "
            f"({self.ran} run now, {self.kept} kept from before) in {self.elapsed_s:.1f} s\n"
            f"grades: {self.out}; feedback: {details / 'feedback'}; written answers: {details / 'written_answers.md'}"
        )


def load_key(key_dir: str | Path) -> dict[str, Any]:
    """The manifest ``vmlab assign`` wrote into ``key_dir`` (its assignments by id)."""
    path = Path(key_dir) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GradeError(f"{key_dir} holds no {MANIFEST}: give --key the folder `vmlab assign --out` wrote") from None
    except (OSError, ValueError) as exc:
        raise GradeError(f"{path} is not readable: {exc}") from exc
    if not isinstance(manifest, dict) or "assignments" not in manifest:
        raise GradeError(f"{path} is not a vmlab assignment manifest")
    return manifest


def find_submissions(folder: str | Path, notebook_names: list[str]) -> list[Submission]:
    """Every ``*.ipynb`` under ``folder`` (checkpoints and hidden files left out), in path order.

    ``<folder>/<student>/.../<file>.ipynb`` is the folder layout (the student is the first folder);
    ``<folder>/<student>_<name>.ipynb`` the flat one (the student is what comes before a known
    notebook name). ``name_hint`` is the notebook name found in the file name, if any.
    """
    root = Path(folder)
    if not root.is_dir():
        raise GradeError(f"submissions folder {str(folder)!r} does not exist")
    names = sorted(notebook_names, key=len, reverse=True)
    found = []
    for path in sorted(root.rglob("*.ipynb")):
        rel = path.relative_to(root)
        if any(part.startswith(".") or part == "__MACOSX" for part in rel.parts):
            continue
        stem = path.stem
        hint, prefix = None, stem
        for name in names:
            match = re.fullmatch(rf"(.*?)[_\- ]*{re.escape(name)}(?:[_\- ]*\(?\d+\)?)?", stem)
            if match:
                hint, prefix = name, match.group(1)
                break
        submitter = rel.parts[0] if len(rel.parts) > 1 else (prefix.strip("_- ") or None)
        found.append(Submission(path=path, rel=rel.as_posix(), submitter=submitter, name_hint=hint))
    return found


def _match(nb, sub: Submission, assignments: Mapping[str, Any]) -> tuple[dict | None, str, str]:
    """(assignment, problem status or '', note) for a submission."""
    meta = nb.metadata.get(METADATA_KEY, {}).get("assignment") if isinstance(nb.metadata.get(METADATA_KEY), Mapping) else None
    if isinstance(meta, Mapping) and meta.get("id") is not None:
        found = assignments.get(str(meta["id"]))
        if found is None:
            return None, f"tampered: its assignment {meta['id']!r} is not in this key", ""
        return found, "", ""
    candidates = [a for a in assignments.values() if a["notebook"] == sub.name_hint]
    own = [a for a in candidates if a.get("student") and a["student"] == sub.submitter]
    candidates = own or [a for a in candidates if not a.get("student") and not a.get("variant")]
    if len(candidates) == 1:
        return candidates[0], "", "no assignment metadata in the notebook: matched by its file name"
    return None, (
        "failed: cannot tell which assignment this is (the notebook has no vmlab assignment metadata "
        "and its file name does not pick one)"
    ), ""


def _tampering(nb, a: Mapping[str, Any], sub: Submission, students: set[str]) -> list[str]:
    """What was changed that must not be (empty: nothing)."""
    problems = []
    cell = parameters_cell(nb)
    if cell is None:
        problems.append("parameters cell deleted")
    else:
        values = parameter_values(cell.source)
        if parameters_fingerprint(values) != a["fingerprint"]["parameters"]:
            assigned = a["parameters"]
            changed = [
                f"{n} {assigned.get(n, '(none)')!r} -> {values.get(n, '(deleted)')!r}"
                for n in sorted(set(assigned) | set(values)) if assigned.get(n, ...) != values.get(n, ...)
            ]
            problems.append("parameters cell changed (" + ", ".join(changed[:4]) + ")")
    cells = exercise_cells(nb)
    for ex_id, fingerprint in a["fingerprint"]["exercises"].items():
        if ex_id not in cells:
            problems.append(f"exercise cell {ex_id} deleted (or its tag 'exercise' removed)")
        elif cells[ex_id].fingerprint != fingerprint:
            problems.append(f"exercise cell {ex_id}: its check call was changed")
    if a.get("student") and sub.submitter in students and sub.submitter != a["student"]:
        problems.append(f"this worksheet was assigned to {a['student']}, handed in by {sub.submitter}")
    return problems


def _strip(nb) -> None:
    """No outputs from the student's own run: only what the grading run records counts."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None


def _mark(executed, a: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One mark per exercise of the assignment, from the answers recorded in the executed exercise cells."""
    from vmlab.exercises import ANSWER_MIME, _jsonable
    from vmlab.exercises.bank import find
    from vmlab.exercises.kinds import Params

    cells = exercise_cells(executed) if executed is not None else {}
    marks = []
    for ex_id in a["exercises"]:
        ex = find(ex_id)
        entry = {"exercise": ex_id, "kind": ex.kind, "max_points": float(ex.points), "hint": ex.hint,
                 "graded": ex.kind != "written", "answer": None, "points": 0.0, "answered": False,
                 "correct": False, "expected": "", "message": ""}
        found, answer = (False, Ellipsis)
        if ex_id in cells:
            found, answer = cell_answer(executed.cells[cells[ex_id].index], ex_id, ANSWER_MIME)
        if not found:
            entry["message"] = "not marked: the notebook stopped before this exercise's cell ran"
        else:
            try:
                mark = ex.mark(answer, Params(a["parameters"], ex_id), hidden=True)
                entry.update(points=float(mark.points), answered=mark.answered, correct=mark.correct,
                             expected=mark.expected, answer=_jsonable(answer),
                             message=mark.message if answer is not Ellipsis else "not answered (still ...)")
            except Exception as exc:  # a bank bug must not stop grading, nor give points
                entry["message"] = f"could not be marked ({type(exc).__name__}: {exc}); tell the workbook's authors"
        if not entry["expected"] and ex.kind != "written":
            try:
                entry["expected"] = ex.describe(ex.expected_value(Params(a["parameters"], ex_id)))
            except Exception:
                pass
        marks.append(entry)
    return marks


def _task(nb, sub: Submission, a: Mapping[str, Any], key_dir: Path, timeout: float | None) -> dict[str, Any]:
    import nbformat

    from vmlab.exercises import STRICT_ENV
    from vmlab.exercises.bank import BANKS_ENV

    env = {STRICT_ENV: "0"}  # a false claim in a student's notebook is not a grading error
    if os.environ.get(BANKS_ENV):
        env[BANKS_ENV] = os.environ[BANKS_ENV]
    return {
        "case_id": sub.key,
        "parameters": {},
        "notebook_json": nbformat.writes(nb),
        "notebook_name": Path(a["key_path"]).name,
        "cwd": str((key_dir / a["key_path"]).resolve().parent),  # ../data is there
        "kernel_name": nb.metadata.get("kernelspec", {}).get("name") or "python3",
        "timeout": None,
        "notebook_timeout": timeout,
        "expect_results": False,
        "env": env,
    }


def _record(sub: Submission, content_hash: str, key_hash: str, a: Mapping[str, Any] | None, student: str,
            status: str, marks: list[dict[str, Any]], duration_s: float | None, note: str = "", traceback: str = "") -> dict[str, Any]:
    return {
        "submission": sub.rel, "key": sub.key, "content_sha256": content_hash, "key_sha256": key_hash,
        "assignment": a["id"] if a else None, "notebook": a["notebook"] if a else (sub.name_hint or ""),
        "variant": (a.get("variant") or a.get("student") or "") if a else "", "student": student,
        "status": status, "marks": marks, "duration_s": duration_s, "note": note, "traceback": traceback,
    }


def _zero_marks(a: Mapping[str, Any] | None, why: str) -> list[dict[str, Any]]:
    from vmlab.exercises.bank import find

    if a is None:
        return []
    marks = []
    for ex_id in a["exercises"]:
        ex = find(ex_id)
        marks.append({"exercise": ex_id, "kind": ex.kind, "max_points": float(ex.points), "hint": ex.hint,
                      "graded": ex.kind != "written", "answer": None, "points": 0.0, "answered": False,
                      "correct": False, "expected": "", "message": why})
    return marks


def grade_submissions(
    submissions: str | Path,
    key: str | Path,
    out: str | Path = "grades.csv",
    *,
    workers: int = 1,
    scheduler: str | None = None,
    timeout: float | None = DEFAULT_TIMEOUT_S,
    force: bool = False,
    progress: bool = True,
    echo: Callable[[str], None] | None = None,
) -> GradeSummary:
    """Grade every notebook under ``submissions`` against the assignment folder ``key``; write ``out``.

    Parameters
    ----------
    submissions : path
        The exported submissions (folder per student, or flat ``<student>_<name>.ipynb`` files).
    key : path
        The folder ``vmlab assign --out`` wrote (``assignment.json``, ``key/``, ``data/``).
    out : path
        The gradebook CSV; its details go to the folder of the same name without ``.csv``.
    workers, scheduler
        Local kernels at once, or the address of a Dask scheduler (as ``vmlab sweep``).
    timeout : float or None
        Seconds one submission may run in all.
    force : bool
        Grade again what an earlier run already graded (by default a submission whose file and
        key are unchanged keeps its record, so an interrupted run resumes).
    """
    import nbformat

    from vmlab.grading.gradebook import grades_table, write_feedback, write_written_answers
    from vmlab.sweep.runner import connect, run_tasks
    from vmlab.sweep.store import atomic_write

    started = time.perf_counter()
    say = echo or (lambda message: print(message, file=sys.stderr, flush=True))
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a whole number >= 1, got {workers!r}")
    key_dir = Path(key)
    manifest = load_key(key_dir)
    key_hash = hashlib.sha256(json.dumps(manifest["assignments"], sort_keys=True).encode()).hexdigest()
    assignments = manifest["assignments"]
    subs = find_submissions(submissions, sorted({a["notebook"] for a in assignments.values()}))
    if not subs:
        raise GradeError(f"no notebooks (*.ipynb) found under {submissions}")
    client = connect(scheduler) if scheduler else None  # unreachable: fail before writing anything
    out = Path(out)
    details = out.with_suffix("")
    runs = details / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    exercise_info = _exercise_info(assignments)
    atomic_write(details / "grading.json", json.dumps({"key": str(key_dir), "exercises": exercise_info}, indent=2))
    students = {a["student"] for a in assignments.values() if a.get("student")}

    records: dict[str, dict[str, Any]] = {}
    tasks, pending = [], {}
    kept = 0
    for sub in subs:
        content = sub.path.read_bytes()
        content_hash = hashlib.sha256(content).hexdigest()
        old = _read_record(runs / f"{sub.key}.json")
        if not force and old and old.get("content_sha256") == content_hash and old.get("key_sha256") == key_hash:
            records[sub.key] = old
            kept += 1
            continue
        try:
            nb = nbformat.reads(content.decode("utf-8"), as_version=4)
        except Exception as exc:
            records[sub.key] = _record(sub, content_hash, key_hash, None, sub.submitter or "", f"failed: not a readable notebook ({type(exc).__name__})", [], None)
            continue
        a, problem, note = _match(nb, sub, assignments)
        student = (a.get("student") if a else None) or sub.submitter or ""
        if a is not None and not problem:
            tampering = _tampering(nb, a, sub, students)
            if tampering:
                problem = "tampered: " + "; ".join(tampering)
        if problem:
            records[sub.key] = _record(sub, content_hash, key_hash, a, student, problem, _zero_marks(a, problem), None, note)
            continue
        _strip(nb)
        tasks.append(_task(nb, sub, a, key_dir, timeout))
        pending[sub.key] = (sub, content_hash, a, student, note)
    for record in records.values():
        _persist(runs, record, None)

    say(f"grade: {len(subs)} submissions, {kept} graded earlier, {len(tasks)} to run"
        + (f" on Dask scheduler {scheduler}" if scheduler else f" on {workers} local worker{'s' * (workers > 1)}"))
    interrupted = False
    ran = 0
    bar = _progress(len(tasks), progress)
    last_csv = 0.0
    try:
        if tasks:
            backend = run_tasks(tasks, workers=workers, client=client, log_dir=details / "logs")
            try:
                for result in backend:
                    sub, content_hash, a, student, note = pending[result["case_id"]]
                    executed = nbformat.reads(result["executed_json"], as_version=4) if result.get("executed_json") else None
                    status = "ok" if result["status"] == "ok" else f"failed: {result.get('error') or 'the notebook did not run'}"
                    record = _record(sub, content_hash, key_hash, a, student, status, _mark(executed, a),
                                     result.get("duration_s"), note, result.get("traceback", ""))
                    _persist(runs, record, result.get("executed_json"))
                    records[sub.key] = record
                    ran += 1
                    if bar is not None:
                        bar.update(1)
                    if time.monotonic() - last_csv > _CSV_EVERY_S:
                        atomic_write(out, grades_table(records.values(), exercise_info).to_csv(index=False))
                        last_csv = time.monotonic()
            finally:
                backend.close()
        elif client is not None:
            client.close()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if bar is not None:
            bar.close()
        table = grades_table(records.values(), exercise_info)
        atomic_write(out, table.to_csv(index=False))
        write_feedback(records.values(), details / "feedback")
        write_written_answers(records.values(), details / "written_answers.md")
    statuses = table["status"].astype(str) if len(table) else table.get("status", [])
    summary = GradeSummary(
        out=out, total=len(subs), ok=int((statuses == "ok").sum()),
        failed=int(statuses.str.startswith("failed").sum()), tampered=int(statuses.str.startswith("tampered").sum()),
        ran=ran, kept=kept, interrupted=interrupted, elapsed_s=time.perf_counter() - started, table=table,
    )
    say(str(summary))
    return summary


def _exercise_info(assignments: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Exercise id -> notebook, kind, points (in assignment order), for the gradebook's columns."""
    from vmlab.exercises.bank import find

    info: dict[str, dict[str, Any]] = {}
    for a in assignments.values():
        for ex_id in a["exercises"]:
            if ex_id not in info:
                ex = find(ex_id)
                info[ex_id] = {"notebook": a["notebook"], "kind": ex.kind, "points": float(ex.points)}
    return info


def _read_record(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and "status" in record else None


def _persist(runs: Path, record: dict[str, Any], executed_json: str | None) -> None:
    """Executed notebook first, then the record (the 'graded' marker), as the sweep does."""
    from vmlab.sweep.store import atomic_write

    if executed_json:
        atomic_write(runs / f"{record['key']}.ipynb", executed_json)
    atomic_write(runs / f"{record['key']}.json", json.dumps(record, indent=2, default=repr))


def _progress(total: int, enabled: bool):
    if not enabled or total == 0:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="grading", unit="notebook", file=sys.stderr, dynamic_ncols=True)
