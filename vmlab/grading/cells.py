"""What ``vmlab assign`` and ``vmlab grade`` read and rewrite in a notebook's cells.

* The ``parameters`` cell: its values (:func:`parameter_values`), the ranges its comments
  declare for per-student variants (``[lo .. hi]`` for a number, ``[a | b | c]`` for a
  choice; :func:`parameter_ranges`), and a copy with other values (:func:`set_parameters`).
* Exercise cells (tagged ``exercise``): the ``check("2a", answer_2a)`` call that names the
  exercise and its answer variable (:func:`exercise_cells`), the answer line rewritten
  (``...`` for a student, the expected value for a key; :func:`set_answer`), and a fingerprint
  of the check call (:func:`check_fingerprint`), so ``grade`` sees a deleted or rewritten
  exercise cell.
* The answer records ``check`` leaves in an exercise cell's output (:func:`cell_answer`).

>>> source = 'RATE_MIB_S: float = 100.0  # link [50 .. 200]\\nMODE: str = "fast"  # [fast | slow]'
>>> parameter_values(source)
{'RATE_MIB_S': 100.0, 'MODE': 'fast'}
>>> parameter_ranges(source)["RATE_MIB_S"].low, parameter_ranges(source)["MODE"].options
(50.0, ('fast', 'slow'))
>>> print(set_parameters(source, {"RATE_MIB_S": 75.5}).splitlines()[0])
RATE_MIB_S: float = 75.5  # link [50 .. 200]
>>> print(set_answer('answer_2a = ...  # minutes\\nvl.check("2a", answer_2a)', "answer_2a", 12.5))
answer_2a = 12.5  # minutes
vl.check("2a", answer_2a)
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "PARAMETERS_TAG", "EXERCISE_TAG", "SOLUTION_TAG", "Range", "ExerciseCell",
    "parameters_cell", "parameter_values", "parameter_ranges", "set_parameters", "parameters_fingerprint",
    "exercise_cells", "set_answer", "check_fingerprint", "cell_answer", "literal",
]

PARAMETERS_TAG, EXERCISE_TAG, SOLUTION_TAG = "parameters", "exercise", "solution"
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_NUMBER_RANGE = re.compile(rf"\[\s*({_NUMBER})\s*\.\.\s*({_NUMBER})\s*\]\s*$")
_CHOICE_RANGE = re.compile(r"\[([^\[\]|]+(?:\|[^\[\]|]+)+)\]\s*$")


def _tags(cell: Mapping[str, Any]) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _source(cell: Mapping[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def parameters_cell(nb: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The first code cell tagged ``parameters`` (None when there is none)."""
    return next((c for c in nb["cells"] if c.get("cell_type") == "code" and PARAMETERS_TAG in _tags(c)), None)


def _assignments(source: str) -> list[ast.AnnAssign | ast.Assign]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [
        node for node in tree.body
        if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None)
        or (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name))
    ]


def _name(node: ast.AnnAssign | ast.Assign) -> str:
    return node.target.id if isinstance(node, ast.AnnAssign) else node.targets[0].id


def parameter_values(source: str) -> dict[str, Any]:
    """The literal values of a parameters cell (name -> value); lines that are not literals are left out."""
    values = {}
    for node in _assignments(source):
        try:
            values[_name(node)] = ast.literal_eval(node.value)
        except ValueError:
            continue
    return values


def parameters_fingerprint(values: Mapping[str, Any]) -> str:
    """SHA-256 of the parameter values (order and comments do not count)."""
    return hashlib.sha256(json.dumps(dict(values), sort_keys=True, default=repr).encode()).hexdigest()


@dataclass(frozen=True)
class Range:
    """The values a parameter may take in a per-student variant, declared in its comment."""

    name: str
    low: float | None = None
    high: float | None = None
    integer: bool = False
    options: tuple[Any, ...] = ()

    def draw(self, rng) -> Any:
        """One value drawn with ``rng`` (a ``numpy.random.Generator``): uniform, rounded to 3 significant digits."""
        if self.options:
            return self.options[int(rng.integers(len(self.options)))]
        if self.integer:
            return int(rng.integers(int(self.low), int(self.high), endpoint=True))
        value = float(rng.uniform(self.low, self.high))
        if value != 0:
            value = round(value, 2 - int(math.floor(math.log10(abs(value)))))
        return min(max(value, self.low), self.high)


def parameter_ranges(source: str) -> dict[str, Range]:
    """The ranges declared at the end of the parameters' comments (``[lo .. hi]``, ``[a | b]``)."""
    lines = source.splitlines()
    ranges = {}
    for node in _assignments(source):
        comment = lines[node.end_lineno - 1][node.end_col_offset:]
        if "#" not in comment:
            continue
        comment = comment.split("#", 1)[1]
        name = _name(node)
        try:
            default = ast.literal_eval(node.value)
        except ValueError:
            continue
        number = _NUMBER_RANGE.search(comment)
        if number:
            low, high = float(number.group(1)), float(number.group(2))
            if low > high:
                raise ValueError(f"parameter {name}: its range [{number.group(1)} .. {number.group(2)}] is empty")
            integer = isinstance(default, int) and not isinstance(default, bool)
            ranges[name] = Range(name, low, high, integer=integer)
            continue
        choice = _CHOICE_RANGE.search(comment)
        if choice:
            options = tuple(_option(part.strip(), default) for part in choice.group(1).split("|"))
            ranges[name] = Range(name, options=options)
    return ranges


def _option(text: str, default: Any) -> Any:
    if isinstance(default, str):
        return text.strip("'\"")
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def literal(value: Any) -> str:
    """Python source for a plain value (strings in double quotes, as the notebooks write them)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float) and (math.isinf(value) or math.isnan(value)):
        return f'float("{value}")'
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(literal(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    return repr(value)


def _replace_value(source: str, node: ast.AST, text: str) -> str:
    """``source`` with the expression ``node`` replaced by ``text`` (ast columns count UTF-8 bytes)."""
    lines = source.splitlines(keepends=True)

    def offset(lineno: int, col: int) -> int:
        return sum(len(line) for line in lines[: lineno - 1]) + len(lines[lineno - 1].encode()[:col].decode())

    start, end = offset(node.lineno, node.col_offset), offset(node.end_lineno, node.end_col_offset)
    return source[:start] + text + source[end:]


def set_parameters(source: str, values: Mapping[str, Any]) -> str:
    """The parameters cell with ``values`` in place of the defaults (types, comments and order kept)."""
    unknown = set(values) - {_name(n) for n in _assignments(source)}
    if unknown:
        raise KeyError(f"not parameters of this notebook: {', '.join(sorted(unknown))}")
    for node in reversed(_assignments(source)):  # from the end, so earlier positions stay valid
        name = _name(node)
        if name in values:
            source = _replace_value(source, node.value, literal(values[name]))
    return source


# ------------------------------------------------------------------------ exercise cells
@dataclass(frozen=True)
class ExerciseCell:
    """An exercise cell: its index in the notebook, the exercise id and the answer variable."""

    index: int
    exercise: str
    variable: str | None
    fingerprint: str


def _check_calls(source: str) -> list[tuple[ast.Call, str, str | None]]:
    """``check("id", var)`` calls at the top level of a cell: (call, id, variable name or None)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = []
    for node in tree.body:
        call = node.value if isinstance(node, ast.Expr) else None
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name != "check" or not call.args or not isinstance(call.args[0], ast.Constant) or not isinstance(call.args[0].value, str):
            continue
        var = call.args[1].id if len(call.args) > 1 and isinstance(call.args[1], ast.Name) else None
        found.append((call, call.args[0].value, var))
    return found


def check_fingerprint(exercise: str, call: ast.Call) -> str:
    """SHA-256 of a check call's syntax tree (spacing and comments do not count)."""
    return hashlib.sha256(f"{exercise}\n{ast.dump(call)}".encode()).hexdigest()


def exercise_cells(nb: Mapping[str, Any]) -> dict[str, ExerciseCell]:
    """Exercise id -> its cell, for every code cell tagged ``exercise`` (the first cell wins)."""
    found: dict[str, ExerciseCell] = {}
    for index, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") != "code" or EXERCISE_TAG not in _tags(cell):
            continue
        for call, exercise, var in _check_calls(_source(cell)):
            found.setdefault(exercise, ExerciseCell(index, exercise, var, check_fingerprint(exercise, call)))
    return found


def set_answer(source: str, variable: str, value: Any = Ellipsis) -> str:
    """The exercise cell with ``variable = value`` (``...`` by default); its comment is kept.

    The last assignment to ``variable`` before the check is rewritten; a cell without one gets
    ``variable = value`` as its first line.
    """
    text = "..." if value is Ellipsis else literal(value)
    nodes = [n for n in _assignments(source) if _name(n) == variable]
    if not nodes:
        return f"{variable} = {text}\n{source}"
    return _replace_value(source, nodes[-1].value, text)


def cell_answer(cell: Mapping[str, Any], exercise: str, mime: str) -> tuple[bool, Any]:
    """(found, answer) from the last answer record of ``exercise`` in this cell's outputs."""
    from vmlab.exercises import from_jsonable

    found, answer = False, Ellipsis
    for output in cell.get("outputs", []):
        record = output.get("data", {}).get(mime)
        if isinstance(record, Mapping) and str(record.get("exercise")) == exercise:
            found, answer = True, from_jsonable(record.get("answer"))
    return found, answer
