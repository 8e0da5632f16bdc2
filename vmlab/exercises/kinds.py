"""The kinds of exercise a notebook asks, and how each one is marked.

An exercise is declared once, in the exercise bank (``vmlab/exercises/bank/nNN.py``, one module
per notebook), next to the code that computes its expected value from the notebook's
parameters. A notebook only asks the question and calls ``check("2a", answer_2a)``; the expected
value never appears in the notebook, and it follows the parameters when they change (a group
variant, a papermill run, a student experimenting).

Four kinds:

* :class:`Number`: a prediction checked within a tolerance (``rtol``/``atol``).
* :class:`Choice`: one option out of a few (letters, words, ``True``/``False``), with feedback
  on each wrong option.
* :class:`Match`: each item matched to one option (e.g. use cases to provisioning types), with
  feedback on each wrong pair and a share of the points for each right pair.
* :class:`Written`: a few sentences, recorded for the instructor and never marked automatically.

Declaring one (``p`` reads the notebook's parameters: ``p.DISK_GIB``)::

    @number("2a", unit="min", rtol=0.05, hint="Add the five steps.")
    def ex_2a(p):
        return cold(p).downtime_ms / 60_000

    @ex_2a.solution
    def _(p):
        return f"The steps add up to **{cold(p).downtime_ms / 60_000:.1f} min**."

>>> ex = Number("demo", lambda p: 2 * p.X, rtol=0.05, unit="s")
>>> ex.mark(10.2, {"X": 5}).correct
True
>>> ex.mark(12, {"X": 5}).message
'12 s is too high.'
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Params", "Mark", "Exercise", "Number", "Choice", "Match", "Written",
    "number", "choice", "match", "written", "MissingParameter",
]


class MissingParameter(LookupError):
    """An exercise needs a notebook parameter that is not defined (the parameters cell did not run)."""


class Params:
    """Read-only view of a notebook's parameters: ``p.DISK_GIB``.

    Built from the notebook's global names (when a student runs ``check``) or from its
    parameters cell (when ``vmlab grade`` marks a submission).
    """

    def __init__(self, values: Mapping[str, Any], exercise: str = "") -> None:
        self._values = values
        self._exercise = exercise

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            where = f"exercise {self._exercise}" if self._exercise else "this exercise"
            raise MissingParameter(
                f"{where} needs the notebook parameter {name}: run the parameters cell at the top first"
            ) from None

    def get(self, name: str, default: Any = None) -> Any:
        return self._values.get(name, default)


@dataclass(frozen=True)
class Mark:
    """The outcome of marking one answer.

    ``points`` out of ``max_points``; ``message`` is what the student reads (it never states the
    expected value of a wrong answer); ``expected`` is the right answer as text, for the
    instructor's feedback file and for the message of a right answer.
    """

    exercise: str
    answered: bool
    correct: bool
    points: float
    max_points: float
    message: str
    expected: str = ""
    graded: bool = True  # False for written answers (read by the instructor)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _fmt(value: float, unit: str = "") -> str:
    if isinstance(value, float) and math.isinf(value):
        text = "infinite" if value > 0 else "-infinite"
    elif _is_number(value):
        text = f"{float(value):,.4g}" if abs(float(value)) >= 1e4 else f"{float(value):.4g}"
    else:
        text = repr(value)
    return f"{text} {unit}".strip() if _is_number(value) else text


def _norm(value: Any) -> Any:
    """Strings compared without case, surrounding spaces, hyphens or underscores."""
    if isinstance(value, str):
        return " ".join(value.strip().lower().replace("_", " ").replace("-", " ").split())
    return value


@dataclass
class Exercise:
    """Common part of every kind: an id unique in the workbook, points, a hint, a worked solution."""

    id: str
    points: float = 1.0
    hint: str = ""
    notebook: str = ""  # set by the bank
    solution_text: Callable[[Params], str] | None = field(default=None, repr=False)
    hidden: tuple[Callable[[Any, Params], str | None], ...] = field(default=(), repr=False)
    kind: str = "exercise"

    def solution(self, fn: Callable[[Params], str]) -> Callable[[Params], str]:
        """Decorator: the worked solution, markdown computed from the parameters."""
        self.solution_text = fn
        return fn

    def solution_markdown(self, params: Mapping[str, Any] | Params) -> str | None:
        """The worked solution for these parameters (``None`` when the bank has none)."""
        p = params if isinstance(params, Params) else Params(params, self.id)
        if self.solution_text is not None:
            return self.solution_text(p)
        return self._default_solution(p)

    def _default_solution(self, p: Params) -> str | None:
        return None

    def hidden_check(self, fn: Callable[[Any, Params], str | None]) -> Callable[[Any, Params], str | None]:
        """Decorator: a check that runs only when ``vmlab grade`` marks a submission.

        ``fn(answer, p)`` returns ``None`` when the answer passes, or a message saying what is
        wrong (then the exercise earns no points). Use it for what a student should not be able
        to probe while working, e.g. a second case of a function they wrote.
        """
        self.hidden = (*self.hidden, fn)
        return fn

    # -- marking ---------------------------------------------------------------------------
    def expected_value(self, params: Mapping[str, Any] | Params) -> Any:
        raise NotImplementedError

    def describe(self, expected: Any) -> str:
        return _fmt(expected)

    def mark(self, answer: Any, params: Mapping[str, Any] | Params, *, hidden: bool = False) -> Mark:
        """Mark ``answer`` for these parameters; ``hidden=True`` also runs the hidden checks."""
        p = params if isinstance(params, Params) else Params(params, self.id)
        if answer is Ellipsis or answer is None:
            return Mark(self.id, False, False, 0.0, self.points,
                        "replace ... with your answer, then run this cell again.", "")
        expected = self.expected_value(p)
        mark = self._mark(answer, expected)
        if hidden and mark.correct:
            for check in self.hidden:
                problem = check(answer, p)
                if problem:
                    return Mark(self.id, True, False, 0.0, self.points, problem, mark.expected)
        return mark

    def _mark(self, answer: Any, expected: Any) -> Mark:
        raise NotImplementedError

    def _with_hint(self, text: str) -> str:
        return f"{text} {self.hint}".strip()


@dataclass
class Number(Exercise):
    """A number, right within ``atol + rtol * |expected|``.

    ``expected(p)`` may also return a string (e.g. ``"never"``) when no number is right.
    """

    expected: Callable[[Params], Any] = None  # type: ignore[assignment]
    rtol: float = 0.05
    atol: float = 0.0
    unit: str = ""
    kind: str = "number"

    def __init__(self, id: str, expected: Callable[[Params], Any], *, rtol: float = 0.05, atol: float = 0.0,
                 unit: str = "", hint: str = "", points: float = 1.0) -> None:
        Exercise.__init__(self, id=id, points=points, hint=hint, kind="number")
        self.expected, self.rtol, self.atol, self.unit = expected, rtol, atol, unit

    def expected_value(self, params):
        p = params if isinstance(params, Params) else Params(params, self.id)
        value = self.expected(p)
        if hasattr(value, "item") and not isinstance(value, (str, bytes)):
            value = value.item()
        return value

    def describe(self, expected: Any) -> str:
        return _fmt(expected, self.unit)

    def _mark(self, answer: Any, expected: Any) -> Mark:
        shown = self.describe(expected)
        if isinstance(expected, str):
            ok = _norm(answer) == _norm(expected)
            if ok:
                return Mark(self.id, True, True, self.points, self.points, f"right: {expected}.", shown)
            return Mark(self.id, True, False, 0.0, self.points, self._with_hint(f"{answer!r} is not it."), shown)
        if not _is_number(answer):
            return Mark(self.id, True, False, 0.0, self.points,
                        self._with_hint(f"the answer is a number{' in ' + self.unit if self.unit else ''}; got {answer!r}."), shown)
        ans, exp = float(answer), float(expected)
        if math.isnan(ans):
            return Mark(self.id, True, False, 0.0, self.points, self._with_hint("your answer is NaN."), shown)
        if math.isnan(exp):
            ok = False
        elif math.isinf(exp):
            ok = ans == exp
        else:
            ok = abs(ans - exp) <= self.atol + self.rtol * abs(exp)
        if ok:
            return Mark(self.id, True, True, self.points, self.points, f"right: the model gives {shown}.", shown)
        direction = "too high" if ans > exp else "too low"
        return Mark(self.id, True, False, 0.0, self.points, self._with_hint(f"{_fmt(ans, self.unit)} is {direction}."), shown)


@dataclass
class Choice(Exercise):
    """One of ``options``; ``feedback[option]`` explains why a wrong option is wrong."""

    options: tuple[Any, ...] = ()
    answer: Any = None  # an option, or a function of the parameters returning one
    feedback: dict[Any, str] = field(default_factory=dict)
    kind: str = "choice"

    def __init__(self, id: str, options: tuple[Any, ...], answer: Any, *, feedback: Mapping[Any, str] | None = None,
                 hint: str = "", points: float = 1.0) -> None:
        Exercise.__init__(self, id=id, points=points, hint=hint, kind="choice")
        self.options, self.answer, self.feedback = tuple(options), answer, dict(feedback or {})
        unknown = [o for o in self.feedback if _norm(o) not in {_norm(x) for x in self.options}]
        if unknown:
            raise ValueError(f"exercise {id}: feedback for options that do not exist: {unknown}")
        if not callable(answer) and _norm(answer) not in {_norm(x) for x in self.options}:
            raise ValueError(f"exercise {id}: the answer {answer!r} is not one of the options {self.options}")

    def expected_value(self, params):
        p = params if isinstance(params, Params) else Params(params, self.id)
        return self.answer(p) if callable(self.answer) else self.answer

    def _default_solution(self, p: Params) -> str | None:
        right = self.expected_value(p)
        why = self.feedback.get(right, "")
        return f"**{right!r}**. {why}".strip()

    def _mark(self, answer: Any, expected: Any) -> Mark:
        shown = repr(expected)
        normed = {_norm(o): o for o in self.options}
        if _norm(answer) not in normed:
            listed = ", ".join(repr(o) for o in self.options)
            return Mark(self.id, True, False, 0.0, self.points, f"choose one of {listed}; got {answer!r}.", shown)
        chosen = normed[_norm(answer)]
        if _norm(chosen) == _norm(expected):
            why = self.feedback.get(chosen, "")
            return Mark(self.id, True, True, self.points, self.points, f"right: {chosen!r}. {why}".strip(), shown)
        why = self.feedback.get(chosen) or self.hint
        return Mark(self.id, True, False, 0.0, self.points, f"{chosen!r} is not it. {why}".strip(), shown)


@dataclass
class Match(Exercise):
    """Match every item to one of ``options``; each right pair earns its share of the points.

    The student answers with a dict ``{item: option}``; an item may be given by its number (1, 2,
    ... in the order of the question) and an option by its letter ("a", "b", ... in the order of
    ``options``). ``feedback[item]`` explains the right match of an item the student got wrong.
    """

    items: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    answer: Any = None  # {item: option}, or a function of the parameters returning one
    feedback: dict[str, str] = field(default_factory=dict)
    kind: str = "match"

    def __init__(self, id: str, answer: Mapping[str, str] | Callable[[Params], Mapping[str, str]], *,
                 options: tuple[str, ...], feedback: Mapping[str, str] | None = None, hint: str = "",
                 points: float = 1.0, items: tuple[str, ...] | None = None) -> None:
        Exercise.__init__(self, id=id, points=points, hint=hint, kind="match")
        if items is None:
            if callable(answer):
                raise ValueError(f"exercise {id}: give items= when the answer is a function")
            items = tuple(answer)
        self.items, self.options, self.answer = tuple(items), tuple(options), answer
        self.feedback = dict(feedback or {})

    def expected_value(self, params):
        p = params if isinstance(params, Params) else Params(params, self.id)
        return dict(self.answer(p) if callable(self.answer) else self.answer)

    def describe(self, expected: Any) -> str:
        return "; ".join(f"{k} → {v}" for k, v in expected.items())

    def _default_solution(self, p: Params) -> str | None:
        lines = [f"- {item} → **{option}**. {self.feedback.get(item, '')}".rstrip() for item, option in self.expected_value(p).items()]
        return "\n".join(lines)

    def _mark(self, answer: Any, expected: Any) -> Mark:
        shown = self.describe(expected)
        if not isinstance(answer, Mapping):
            return Mark(self.id, True, False, 0.0, self.points,
                        "answer with a dict {item: option}, one entry per item of the question.", shown)
        items = list(expected)
        letters = {chr(ord("a") + i): o for i, o in enumerate(self.options)}
        given: dict[str, Any] = {}
        for key, value in answer.items():
            if isinstance(key, int) and not isinstance(key, bool) and 1 <= key <= len(items):
                key = items[key - 1]  # items may be given by their number, 1-based
            elif isinstance(key, str) and key.strip().isdigit() and 1 <= int(key) <= len(items):
                key = items[int(key) - 1]
            if isinstance(value, str) and _norm(value) in letters:
                value = letters[_norm(value)]  # options may be given by their letter
            given[_norm(key)] = value
        right, wrong, missing = 0, [], []
        for item, option in expected.items():
            value = given.get(_norm(item), Ellipsis)
            if value is Ellipsis:
                missing.append(item)
            elif _norm(value) == _norm(option):
                right += 1
            else:
                wrong.append(item)
        total = len(expected)
        points = self.points * right / total if total else 0.0
        if right == total:
            return Mark(self.id, True, True, self.points, self.points, f"right: all {total} matched.", shown)
        parts = [f"{right} of {total} right."]
        for item in wrong:
            why = self.feedback.get(item, "")
            parts.append(f"Not {given[_norm(item)]!r} for {item!r}. {why}".strip())
        if missing:
            parts.append("Still to match: " + ", ".join(repr(m) for m in missing) + ".")
        return Mark(self.id, bool(right or wrong), False, points, self.points, " ".join(parts), shown)


@dataclass
class Written(Exercise):
    """A written answer, collected for the instructor; never marked automatically."""

    min_words: int = 10
    kind: str = "written"

    def __init__(self, id: str, *, min_words: int = 10, hint: str = "", points: float = 0.0) -> None:
        Exercise.__init__(self, id=id, points=points, hint=hint, kind="written")
        self.min_words = min_words

    def expected_value(self, params):
        return None

    def _mark(self, answer: Any, expected: Any) -> Mark:
        if not isinstance(answer, str):
            return Mark(self.id, True, False, 0.0, self.points, "write your answer as text between quotes.", graded=False)
        words = len(answer.split())
        if words < self.min_words:
            return Mark(self.id, True, False, 0.0, self.points,
                        f"recorded ({words} words); a few sentences ({self.min_words}+ words) say more.", graded=False)
        return Mark(self.id, True, True, 0.0, self.points,
                    f"recorded ({words} words) for your instructor to read.", graded=False)


# ---- decorators for the bank ----------------------------------------------------------------
def number(id: str, **options: Any) -> Callable[[Callable[[Params], Any]], Number]:
    """Decorator: ``@number("2a", unit="min", rtol=0.05, hint=...)`` over ``def ex(p): return value``."""
    def wrap(fn: Callable[[Params], Any]) -> Number:
        return Number(id, fn, **options)
    return wrap


def choice(id: str, options: tuple[Any, ...], **kw: Any) -> Callable[[Callable[[Params], Any]], Choice]:
    """Decorator: ``@choice("2e", ("suspended", "powered_off"), feedback={...})`` over ``def ex(p): return option``."""
    def wrap(fn: Callable[[Params], Any]) -> Choice:
        return Choice(id, options, fn, **kw)
    return wrap


def match(id: str, *, items: tuple[str, ...], options: tuple[str, ...], **kw: Any) -> Callable[[Callable[[Params], Mapping[str, str]]], Match]:
    """Decorator form of :class:`Match` for answers that depend on the parameters."""
    def wrap(fn: Callable[[Params], Mapping[str, str]]) -> Match:
        return Match(id, fn, items=items, options=options, **kw)
    return wrap


def written(id: str, **kw: Any) -> Written:
    """A :class:`Written` exercise (no function needed)."""
    return Written(id, **kw)
