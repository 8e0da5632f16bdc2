"""``vmlab assign``: student and answer-key versions of workbook notebooks, per group or per student.

From each notebook (the workbook's ``notebooks/NN_*.ipynb``, or a course's own in the same
format) it writes::

    DIR/student/<name>.ipynb             no solutions, answers scaffolded as ..., no outputs
    DIR/key/<name>.ipynb                 the same with every answer filled in and the solutions
    DIR/student/<id>/<name>.ipynb        with --variants GRID.yaml (one per case id) or
    DIR/key/<id>/<name>.ipynb            --seed-per-student ROSTER.csv (one per student)
    DIR/data/ (or DIR/student/data/, DIR/key/data/)   what the notebooks read as ../data/
    DIR/assignment.json                  every notebook built: its parameters and fingerprints

Each notebook carries ``metadata.vmlab.assignment``: the assignment id (``group-a/02_cold_migration``),
the notebook, the variant or student id, its parameters and fingerprints of its parameters and
of every exercise cell's check call. ``vmlab grade`` matches a submission to its assignment by
that id and checks the fingerprints, so a changed parameters cell or a deleted exercise cell is
seen. Expected values are computed by the exercise bank for each notebook's own parameters; a
student version holds none. Hidden checks live in the bank and run only when grading.

Per-student parameters are drawn within the ranges the notebook's parameters cell declares in
its comments (``[lo .. hi]``, ``[a | b]``), from a generator seeded by the notebook name and
the student id, so the same roster always gives the same worksheets.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from vmlab.grading.cells import (
    SOLUTION_TAG,
    exercise_cells,
    parameter_ranges,
    parameter_values,
    parameters_cell,
    parameters_fingerprint,
    set_answer,
    set_parameters,
)

__all__ = ["AssignError", "AssignSummary", "build_assignment", "read_roster", "student_parameters", "MANIFEST", "METADATA_KEY"]

MANIFEST = "assignment.json"
"""The file in ``DIR`` that lists every notebook built (``vmlab grade --key DIR`` reads it)."""
METADATA_KEY = "vmlab"
"""``notebook.metadata[METADATA_KEY]["assignment"]`` holds a built notebook's assignment record."""
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=+@-]{0,119}$")
_OLD_FORMAT = re.compile(r"\bcheck\([^)]*\bexpected\s*=", re.S)
WRITTEN_KEY_ANSWER = "(written answer: read by the instructor, not marked automatically)"


class AssignError(ValueError):
    """A notebook, grid or roster that cannot be built into an assignment."""


@dataclass(frozen=True)
class AssignSummary:
    """What :func:`build_assignment` wrote: ``built`` assignment ids, ``skipped`` notebooks and why."""

    out: Path
    built: list[str]
    skipped: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"{len(self.built)} notebook(s) built into {self.out}/student and {self.out}/key"
        for name, why in self.skipped.items():
            text += f"\nskipped {name}: {why}"
        return text


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def read_roster(path: str | Path) -> list[str]:
    """Student ids from a roster file: one per line, or the first column of a CSV (a header is skipped)."""
    import csv

    path = Path(path)
    try:
        rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    except OSError as exc:
        raise AssignError(f"cannot read roster {str(path)!r}: {exc.strerror or exc}") from exc
    ids = [row[0].strip() for row in rows if row and row[0].strip() and not row[0].lstrip().startswith("#")]
    if ids and ids[0].lower() in ("id", "student", "student_id", "login", "username"):
        ids = ids[1:]
    bad = [i for i in ids if not _ID.match(i)]
    if bad:
        raise AssignError(f"roster {path.name}: ids must be letters, digits and . _ = + @ - (got {bad[:3]})")
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise AssignError(f"roster {path.name}: ids listed twice: {', '.join(dup)}")
    if not ids:
        raise AssignError(f"roster {path.name} lists no student ids")
    return ids


def student_parameters(source: str, notebook: str, student: str) -> dict[str, Any]:
    """A student's own parameters: each ranged parameter drawn from a generator seeded by (notebook, student).

    >>> cell = "RATE: float = 100.0  # MiB/s [50 .. 200]\\nN: int = 3  # [1 .. 9]"
    >>> a = student_parameters(cell, "02_x", "s001")
    >>> a == student_parameters(cell, "02_x", "s001"), 50 <= a["RATE"] <= 200, isinstance(a["N"], int)
    (True, True, True)
    """
    import numpy as np

    values = parameter_values(source)
    seed = int.from_bytes(hashlib.sha256(f"vmlab-assign|{notebook}|{student}".encode()).digest()[:8], "big")
    rng = np.random.default_rng(seed)
    for name, spec in parameter_ranges(source).items():
        values[name] = spec.draw(rng)
    return values


def _clean(nb) -> None:
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)


def _note(kind: str, title: str, label: str | None) -> str:
    which = f", worksheet **{label}**" if label else ""
    if kind == "key":
        return (
            f"> **Answer key** · {title}{which}. Every answer is filled in with what the model gives for this "
            "notebook's parameters, and the worked solutions are under *Solution*. Not for students."
        )
    return (
        f"> **Your assignment** · {title}{which}. Replace each `...` with your answer and run the cell: "
        "`vl.check` tells you at once whether it is right. Keep the parameters cell as it is (your answers "
        "are graded for its values), run the notebook top to bottom, save it and hand in this file."
    )


def _title(nb, name: str) -> str:
    first = nb.cells[0].source.strip().splitlines()[0] if nb.cells and nb.cells[0].source.strip() else name
    return first.lstrip("# ").strip() or name


def _versions(nb, name: str, parameters: Mapping[str, Any], label: str | None, record: dict[str, Any]):
    """(student notebook, key notebook) for these parameters."""
    import nbformat

    from vmlab.exercises.bank import find
    from vmlab.exercises.kinds import Params

    base = copy.deepcopy(nb)
    _clean(base)
    cell = parameters_cell(base)
    if cell is not None and parameters != parameter_values(cell.source):
        cell.source = set_parameters(cell.source, parameters)
    student, key = copy.deepcopy(base), copy.deepcopy(base)
    for ex in exercise_cells(base).values():
        if ex.variable is None:
            continue
        student.cells[ex.index].source = set_answer(student.cells[ex.index].source, ex.variable)
        exercise = find(ex.exercise)
        value = WRITTEN_KEY_ANSWER if exercise.kind == "written" else exercise.expected_value(Params(parameters, ex.exercise))
        key.cells[ex.index].source = set_answer(key.cells[ex.index].source, ex.variable, value)
    student.cells = [c for c in student.cells if SOLUTION_TAG not in c.metadata.get("tags", [])]
    title = _title(nb, name)
    for version, kind in ((student, "student"), (key, "key")):
        version.cells.insert(1, nbformat.v4.new_markdown_cell(_note(kind, title, label), id="vmlab-assignment"))
        version.metadata[METADATA_KEY] = {"assignment": {**record, "version": kind}}
    return student, key


def _check_format(nb, name: str) -> list[str]:
    """Why ``nb`` cannot be handed out (empty: it can)."""
    from vmlab.exercises.bank import exercises_of

    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and _OLD_FORMAT.search(cell.source):
            problems.append(
                f"cell {i} passes expected= to check, so its student version would show the answer; "
                "move the exercise to the exercise bank first (see CONTRIBUTING.md)"
            )
            break
    bank = {ex.id for ex in exercises_of(name)}
    cells = exercise_cells(nb)
    unknown = sorted(set(cells) - bank)
    if unknown:
        problems.append(f"exercise cell(s) {', '.join(unknown)} are not in the exercise bank for {name}")
    missing = sorted(bank - set(cells))
    if missing:
        problems.append(f"the bank's exercise(s) {', '.join(missing)} have no cell tagged 'exercise' in {name}")
    no_var = sorted(e.exercise for e in cells.values() if e.variable is None)
    if no_var:
        problems.append(f"exercise cell(s) {', '.join(no_var)} do not check a variable (answer_2a = ... then check('2a', answer_2a))")
    return problems


def _variants(nb_path: Path, grids: Sequence[Path], roster: list[str] | None, source: str) -> tuple[list[tuple[str | None, dict]], str]:
    """[(variant id or None, parameters)] for one notebook, and what kind of id it is ('variant'/'student'/'')."""
    from vmlab.sweep.grid import GridError, expand_cases, load_grid, notebook_parameters

    defaults = parameter_values(source)
    if roster is not None:
        return [(sid, student_parameters(source, nb_path.stem, sid)) for sid in roster], "student"
    for grid_path in grids:
        grid = load_grid(grid_path)
        if grid.notebook is not None and grid.notebook.name != nb_path.name:
            continue
        try:
            cases = expand_cases(grid, notebook_parameters(nb_path))
        except GridError as exc:
            raise AssignError(f"{grid_path}: {exc}") from exc
        return [(case.case_id, {**defaults, **case.parameters}) for case in cases], "variant"
    return [(None, defaults)], ""


def _data_folder(nb_path: Path) -> Path | None:
    data = nb_path.resolve().parent.parent / "data"
    return data if data.is_dir() else None


def build_assignment(
    notebooks: Sequence[str | Path],
    out: str | Path,
    *,
    variants: Sequence[str | Path] = (),
    roster: str | Path | None = None,
    force: bool = False,
) -> AssignSummary:
    """Write student and key versions of ``notebooks`` into ``out`` (see the module docstring).

    Parameters
    ----------
    notebooks : paths
        The notebooks to build (each in the exercise-bank format).
    out : path
        The assignment folder; refused when it holds anything unless ``force`` (which removes
        what an earlier build wrote there).
    variants : paths of grid files
        ``cases:`` with ``id:`` (the sweep grid format): one worksheet per case of the grid whose
        ``notebook:`` names the notebook (a grid without ``notebook:`` applies to every notebook).
    roster : path, optional
        One student id per line: one seeded worksheet per student and notebook.
    """
    import nbformat

    from vmlab.sweep.store import atomic_write

    if variants and roster is not None:
        raise AssignError("give --variants or --seed-per-student, not both")
    paths = [Path(n) for n in notebooks]
    if not paths:
        raise AssignError("no notebooks to build")
    for path in paths:
        if not path.is_file():
            raise AssignError(f"notebook {str(path)!r} does not exist")
    ids = read_roster(roster) if roster is not None else None
    grids = [Path(g) for g in variants]
    for grid in grids:
        if not grid.is_file():
            raise AssignError(f"grid {str(grid)!r} does not exist")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise AssignError(f"--out {out} is a file; give a folder")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise AssignError(f"{out} is not empty; choose a new folder or pass --force to replace an earlier build there")
        for name in ("student", "key", "data", MANIFEST):
            target = out / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()

    manifest: dict[str, Any] = {"vmlab_assignment": 1, "created_at": _now(), "assignments": {}}
    built, skipped, warnings = [], {}, []
    data_targets: dict[Path, Path] = {}
    for path in paths:
        name = path.stem
        nb = nbformat.read(str(path), as_version=4)
        problems = _check_format(nb, name)
        if problems:
            skipped[path.name] = "; ".join(problems)
            continue
        cell = parameters_cell(nb)
        source = cell.source if cell is not None else ""
        cases, kind = _variants(path, grids, ids, source)
        if kind == "student" and not parameter_ranges(source):
            warnings.append(f"{path.name} declares no parameter ranges ([lo .. hi]): every student gets the same parameters")
        exercises = exercise_cells(nb)
        for label, parameters in cases:
            assignment_id = f"{label}/{name}" if label else name
            folder = Path(label) if label else Path()
            record = {
                "id": assignment_id,
                "notebook": name,
                "variant": label if kind == "variant" else None,
                "student": label if kind == "student" else None,
                "parameters": parameters,
                "fingerprint": {
                    "parameters": parameters_fingerprint(parameters),
                    "exercises": {ex_id: ex.fingerprint for ex_id, ex in exercises.items()},
                },
            }
            try:
                student, key = _versions(nb, name, parameters, label, record)
            except Exception as exc:  # an exercise's expected value failed for these parameters
                raise AssignError(f"{assignment_id}: cannot compute the answer key for {parameters}: {exc}") from exc
            student_path = out / "student" / folder / path.name
            key_path = out / "key" / folder / path.name
            atomic_write(student_path, nbformat.writes(student))
            atomic_write(key_path, nbformat.writes(key))
            data = _data_folder(path)
            if data is not None:
                for target in (student_path.parent.parent / "data", key_path.parent.parent / "data"):
                    data_targets[target] = data
            manifest["assignments"][assignment_id] = {
                **record,
                "exercises": list(exercises),
                "student_path": student_path.relative_to(out).as_posix(),
                "key_path": key_path.relative_to(out).as_posix(),
            }
            built.append(assignment_id)
    for target, data in data_targets.items():
        if not target.exists():
            shutil.copytree(data, target, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    if built:
        atomic_write(out / MANIFEST, json.dumps(manifest, indent=2, default=repr))
    return AssignSummary(out=out, built=built, skipped=skipped, warnings=warnings)
