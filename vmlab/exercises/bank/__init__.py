"""The exercise bank: every exercise of the workbook, one module per notebook.

A module ``nNN.py`` holds the exercises of notebook ``NN_*.ipynb``: it sets ``NOTEBOOK`` (the
notebook's file name without ``.ipynb``) and ``EXERCISES`` (a list of
:mod:`vmlab.exercises.kinds` objects). Ids are unique across the workbook ("2a", "10c"); by
convention they start with the notebook's number.

Expected values are computed here, from the notebook's parameters, and never written in a
notebook: a student sees only the question, and ``vmlab assign`` can hand out a notebook with
nothing to give the answers away.

A course's own notebooks can have a bank of their own: list its folders (each holding modules
with ``NOTEBOOK`` and ``EXERCISES``) in the environment variable ``VMLAB_EXERCISE_BANKS``
(separated like ``PATH``). They load after the workbook's bank, in the notebook kernels too
(kernels inherit the environment), and their ids must not clash with the workbook's.

>>> ex = find("2a")
>>> ex.notebook, ex.kind
('02_cold_migration', 'number')
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
from functools import cache
from pathlib import Path

from vmlab.exercises.kinds import Exercise

__all__ = ["find", "exercises_of", "all_exercises", "BANKS_ENV"]

BANKS_ENV = "VMLAB_EXERCISE_BANKS"
"""Environment variable: extra bank folders (``os.pathsep``-separated), e.g. a course's own."""


def _extra_modules(folders: str):
    """The modules of the bank folders in ``folders`` (``os.pathsep``-separated), in order."""
    for folder in filter(None, folders.split(os.pathsep)):
        for path in sorted(Path(folder).glob("*.py")):
            if path.name.startswith("_"):
                continue
            name = f"vmlab_extra_bank_{abs(hash(str(path.resolve()))):x}_{path.stem}"
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            yield module


def all_exercises() -> dict[str, Exercise]:
    """Every exercise of the workbook (and of the banks in ``VMLAB_EXERCISE_BANKS``) by id."""
    return _load(os.environ.get(BANKS_ENV, ""))


@cache
def _load(extra_folders: str) -> dict[str, Exercise]:
    """The exercises by id, loaded once per value of ``VMLAB_EXERCISE_BANKS``."""
    found: dict[str, Exercise] = {}
    builtin = [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)
        if info.name.startswith("n")
    ]
    for module in [*builtin, *_extra_modules(extra_folders)]:
        notebook = getattr(module, "NOTEBOOK")
        for ex in getattr(module, "EXERCISES"):
            if ex.id in found:
                raise ValueError(f"exercise id {ex.id!r} is used twice ({found[ex.id].notebook} and {notebook})")
            ex.notebook = notebook
            found[ex.id] = ex
    return found


def find(exercise_id: str) -> Exercise:
    """The exercise with this id, or a ``KeyError`` that lists the ids of the same notebook."""
    bank = all_exercises()
    try:
        return bank[exercise_id]
    except KeyError:
        prefix = "".join(ch for ch in exercise_id if ch.isdigit())
        near = sorted(i for i in bank if "".join(ch for ch in i if ch.isdigit()) == prefix)
        extra = f"; exercises of that notebook: {', '.join(near)}" if near else ""
        raise KeyError(f"no exercise {exercise_id!r} in the workbook{extra}") from None


def exercises_of(notebook: str) -> list[Exercise]:
    """The exercises of one notebook (``"02_cold_migration"`` or ``"02_cold_migration.ipynb"``), in order."""
    name = notebook.removesuffix(".ipynb").rsplit("/", 1)[-1]
    return [ex for ex in all_exercises().values() if ex.notebook == name]
