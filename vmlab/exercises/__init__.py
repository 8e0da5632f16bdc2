"""Exercises with instant feedback, readable confirmations, predictions and worked solutions.

What a notebook calls (``import vmlab as vl``):

``vl.check("2a", answer_2a)``
    Marks the student's answer against the exercise bank (:mod:`vmlab.exercises.bank`), which
    computes the expected value from the notebook's own parameters. Shows ✔ or ✘ with a hint;
    never shows the expected value of a wrong answer. An answer still ``...`` gets a reminder,
    not an error, so the notebook runs top to bottom before anything is answered. The answer is
    also recorded in the cell's output (a MIME type only ``vmlab grade`` reads).
``vl.solution("2a")``
    The worked solution, collapsed under "Solution", its numbers computed for these parameters.
``vl.claim("pre-copy converged", r.converged)``
    A ✔ line confirming what the text states. A student never meets an exception from it; the
    test suite runs the notebooks with ``VMLAB_STRICT=1``, where a false claim raises.
``vl.reveal(my_guess_s, r.total_time_s, unit="s")``
    Compares a recorded prediction with what the model says, after the student predicted.

>>> check("demo", 10.4, expected=10.0, rtol=0.05).correct
True
>>> check("demo", ..., expected=10.0).answered
False

In a Voila app (:func:`in_app`), where nothing can be edited, an unanswered exercise points to
JupyterLab instead of asking for an answer, and a missing prediction is not a reproach.
"""

from __future__ import annotations

import html
import math
import numbers
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vmlab.exercises.kinds import Mark, Number, Params

__all__ = [
    "Feedback", "check", "claim", "reveal", "solution", "expected", "ClaimError",
    "ANSWER_MIME", "CLAIM_MIME", "read_answers", "STRICT_ENV", "in_app",
]

ANSWER_MIME = "application/vnd.vmlab.answer+json"
"""MIME type of the answer record in a ``check`` output (read by ``vmlab grade``; no front end renders it)."""
CLAIM_MIME = "application/vnd.vmlab.claim+json"
"""MIME type of a claim's record (text and outcome), for tests that read executed notebooks."""
STRICT_ENV = "VMLAB_STRICT"
"""Environment variable: ``1`` makes a false :func:`claim` raise (the test suite sets it)."""


APP_MESSAGE = ("in this app you can read the question and use the explorer; to answer it, open the "
               "notebook in JupyterLab (make lab) and replace ... with your answer.")
"""What an unanswered exercise says in a Voila app, where a reader cannot edit code."""


def in_app() -> bool:
    """True in a kernel that Voila started (an app page: code hidden, nothing to edit).

    Voila puts ``VOILA_KERNEL_ID`` or ``VOILA_BASE_URL`` into the environment of its kernels.
    """
    return any(name in os.environ for name in ("VOILA_KERNEL_ID", "VOILA_BASE_URL"))


class ClaimError(AssertionError):
    """A statement of the notebook's text does not hold (raised only with ``VMLAB_STRICT=1``)."""


@dataclass(frozen=True)
class Feedback:
    """Outcome of one :func:`check` call, shown as a coloured line; ``bool(feedback)`` is ``correct``."""

    exercise: str
    correct: bool
    answered: bool
    message: str
    answer: Any = None
    points: float = 0.0
    max_points: float = 0.0

    def _colour_mark(self) -> tuple[str, str]:
        if not self.answered:
            return "#6c757d", "✎"
        return ("#1a7f37", "✔") if self.correct else ("#cf222e", "✘")

    def _repr_html_(self) -> str:
        colour, mark = self._colour_mark()
        return (
            f'<div style="border-left:4px solid {colour};padding:4px 8px">'
            f"<b>{mark} Exercise {html.escape(self.exercise)}</b>: {html.escape(self.message)}</div>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        return {
            "text/html": self._repr_html_(),
            "text/plain": repr(self),
            ANSWER_MIME: {"exercise": self.exercise, "answer": _jsonable(self.answer), "answered": self.answered},
        }

    def __repr__(self) -> str:
        status = "not answered yet" if not self.answered else ("correct" if self.correct else "not quite")
        return f"Exercise {self.exercise}: {status}. {self.message}"

    def __bool__(self) -> bool:
        return self.correct


def _jsonable(value: Any) -> Any:
    """The answer as JSON (what ``vmlab grade`` reads back); ``...`` becomes ``None``."""
    if value is Ellipsis or value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes, list, tuple, dict)):
        try:
            value = value.item()
        except (TypeError, ValueError):
            pass
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isnan(number):
            return {"float": "nan"}
        if math.isinf(number):
            return {"float": "inf" if number > 0 else "-inf"}
        return number
    if isinstance(value, Mapping):
        return {"dict": {str(k): _jsonable(v) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return {"repr": repr(value)[:500]}


def from_jsonable(value: Any) -> Any:
    """Inverse of the answer record encoding (``None`` means not answered)."""
    if value is None:
        return Ellipsis
    if isinstance(value, dict):
        if "float" in value:
            return float(value["float"])
        if "dict" in value:
            return {k: from_jsonable(v) for k, v in value["dict"].items()}
        if "repr" in value:
            return value["repr"]
    if isinstance(value, list):
        return [from_jsonable(v) for v in value]
    return value


def _caller_globals(depth: int = 2) -> dict[str, Any]:
    """The notebook's namespace: the globals of the code that called the public function."""
    return sys._getframe(depth).f_globals


def check(
    exercise: str,
    answer: Any,
    *,
    expected: Any = None,
    rtol: float = 0.05,
    atol: float = 0.0,
    hint: str = "",
    unit: str = "",
    params: Mapping[str, Any] | None = None,
) -> Feedback:
    """Mark ``answer`` to ``exercise`` and explain the outcome.

    Parameters
    ----------
    exercise : str
        The exercise id (``"2a"``). Its expected value, tolerance, hint and feedback come from
        the exercise bank, computed for ``params``.
    answer : object
        The student's answer; ``...`` means "not answered yet".
    params : mapping, optional
        The notebook's parameters. Default: the caller's global names (the notebook's
        namespace), so the expected value follows the parameters cell.
    expected, rtol, atol, hint, unit
        Only for an ad-hoc exercise that is not in the bank (e.g. in a course's own notebook):
        the right value, the tolerance, the hint and the unit. A workbook notebook never passes
        ``expected=``.
    """
    if expected is not None:
        mark = Number(exercise, lambda p: expected, rtol=rtol, atol=atol, unit=unit, hint=hint).mark(answer, {})
    else:
        from vmlab.exercises.bank import find

        ex = find(exercise)
        values = params if params is not None else _caller_globals()
        mark = ex.mark(answer, Params(values, exercise))
    return _feedback(mark, answer)


def _feedback(mark: Mark, answer: Any) -> Feedback:
    message = APP_MESSAGE if not mark.answered and in_app() else mark.message
    return Feedback(mark.exercise, mark.correct, mark.answered, message, answer, mark.points, mark.max_points)


def expected(exercise: str, params: Mapping[str, Any] | None = None) -> Any:
    """The expected answer of ``exercise`` for ``params`` (default: the caller's globals).

    For instructors and answer keys; a student notebook never calls it.
    """
    from vmlab.exercises.bank import find

    values = params if params is not None else _caller_globals()
    return find(exercise).expected_value(Params(values, exercise))


class _Markdown:
    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_markdown_(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text


def solution(exercise: str, *, params: Mapping[str, Any] | None = None, open: bool = False) -> _Markdown:
    """The worked solution of ``exercise``, collapsed under "Solution" (``open=True`` expands it).

    Its numbers are computed from the notebook's parameters, so it never goes stale.
    """
    from vmlab.exercises.bank import find

    ex = find(exercise)
    values = params if params is not None else _caller_globals()
    body = ex.solution_markdown(Params(values, exercise))
    if body is None:
        raise LookupError(f"exercise {exercise} has no worked solution in the bank")
    body = body.strip()
    attr = " open" if open else ""
    return _Markdown(f"<details{attr}><summary>Solution {html.escape(exercise)}</summary>\n\n{body}\n\n</details>")


class _Line:
    def __init__(self, html_text: str, plain: str, record: dict[str, Any] | None = None, mime: str = CLAIM_MIME) -> None:
        self.html, self.plain, self.record, self.mime = html_text, plain, record, mime

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        bundle: dict[str, Any] = {"text/html": self.html, "text/plain": self.plain}
        if self.record is not None:
            bundle[self.mime] = self.record
        return bundle

    def __repr__(self) -> str:
        return self.plain


def _show(obj: Any) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # plain Python: print
        print(repr(obj))
        return
    if get_ipython() is None:
        print(repr(obj))
    else:
        display(obj)


def claim(statement: str, holds: Any) -> None:
    """Show a ✔ line confirming ``statement`` (a fact the text states), checked by the tests.

    ``holds`` is the condition, computed from the model (``r.converged``,
    ``abs(a - b) < 1e-9``). A student sees ✔ and the statement; if it ever fails they see a ✘
    line, never an exception. With ``VMLAB_STRICT=1`` (set by the test suite) a false claim
    raises :class:`ClaimError`, so pytest fails.
    """
    ok = bool(holds)
    colour, mark = ("#1a7f37", "✔") if ok else ("#cf222e", "✘")
    extra = "" if ok else " — does not hold here (changed a parameter? If not, please tell your instructor)"
    line = _Line(
        f'<div style="color:{colour}">{mark} {html.escape(statement)}{html.escape(extra)}</div>',
        f"{mark} {statement}{extra}",
        {"statement": statement, "holds": ok},
    )
    _show(line)
    if not ok and os.environ.get(STRICT_ENV) == "1":
        raise ClaimError(f"the notebook states {statement!r}, but it does not hold")


def reveal(prediction: Any, actual: Any, *, unit: str = "", what: str = "the model") -> None:
    """Show the student's recorded prediction next to the model's value (after they predicted).

    ``prediction`` still ``...``: a reminder to predict first (the value is shown anyway, so
    the page reads on).
    """
    def fmt(v: Any) -> str:
        if isinstance(v, numbers.Real) and not isinstance(v, bool):
            x = float(v)
            text = f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"
            return f"{text} {unit}".strip()
        return str(v)

    if prediction is Ellipsis and in_app():
        text = f"{what[0].upper()}{what[1:]} gives {fmt(actual)}."
    elif prediction is Ellipsis:
        text = f"No prediction recorded: {what} gives {fmt(actual)}. Next time, write yours first."
    elif isinstance(actual, numbers.Real) and isinstance(prediction, numbers.Real) and not isinstance(actual, bool) and actual:
        off = (float(prediction) - float(actual)) / abs(float(actual))
        verdict = "close" if abs(off) <= 0.1 else ("too high" if off > 0 else "too low")
        text = f"You predicted {fmt(prediction)}; {what} gives {fmt(actual)} ({verdict}, {off:+.0%})."
    else:
        same = str(prediction).strip().lower() == str(actual).strip().lower()
        text = f"You predicted {fmt(prediction)}; {what} gives {fmt(actual)}" + (" — right." if same else ".")
    _show(_Line(f'<div style="border-left:4px solid #0969da;padding:4px 8px">🔎 {html.escape(text)}</div>', text))


def read_answers(notebook: Any) -> dict[str, Any]:
    """Answers recorded by ``check`` in an executed notebook: ``{exercise id: answer}`` (last wins).

    ``notebook`` is a path or a parsed notebook. An exercise whose check did not run is absent;
    one that ran unanswered maps to ``...``.
    """
    if not isinstance(notebook, Mapping):
        import nbformat

        notebook = nbformat.read(str(notebook), as_version=4)
    found: dict[str, Any] = {}
    for cell in notebook["cells"]:
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []):
            record = output.get("data", {}).get(ANSWER_MIME)
            if isinstance(record, Mapping) and "exercise" in record:
                found[str(record["exercise"])] = from_jsonable(record.get("answer"))
    return found
