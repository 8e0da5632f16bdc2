"""Instant feedback for notebook exercises (in the spirit of otter-grader's check cells).

A notebook exercise asks the student to predict a number, then checks it::

    answer_2a = ...   # your prediction, in seconds
    check("2a", answer_2a, expected=precopy(vm, link).total_time_s, rtol=0.1,
          hint="One full pass of memory at the link rate, then the dirty pages again.")

The result shows a green tick or a red cross with the hint, and has ``.correct`` so that
tests and assert cells can use it. An answer still set to ``...`` gets a gentle reminder,
not an error, so the notebook runs top to bottom before the student has answered.

>>> check("demo", 10.4, expected=10.0, rtol=0.05).correct
True
>>> check("demo", 12, expected=10.0, rtol=0.05).correct
False
>>> check("demo", ..., expected=10.0).correct
False
"""

from __future__ import annotations

import html
import math
import numbers
from dataclasses import dataclass
from typing import Any

__all__ = ["Feedback", "check"]


@dataclass(frozen=True)
class Feedback:
    """Outcome of one :func:`check` call."""

    exercise: str
    correct: bool
    answered: bool
    message: str

    def _repr_html_(self) -> str:
        if not self.answered:
            colour, mark = "#6c757d", "✎"
        elif self.correct:
            colour, mark = "#1a7f37", "✔"
        else:
            colour, mark = "#cf222e", "✘"
        return (
            f'<div style="border-left:4px solid {colour};padding:4px 8px">'
            f"<b>{mark} Exercise {html.escape(self.exercise)}</b>: {html.escape(self.message)}</div>"
        )

    def __repr__(self) -> str:
        status = "not answered yet" if not self.answered else ("correct" if self.correct else "not quite")
        return f"Exercise {self.exercise}: {status}. {self.message}"

    def __bool__(self) -> bool:
        return self.correct


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check(
    exercise: str,
    answer: Any,
    *,
    expected: Any,
    rtol: float = 0.05,
    atol: float = 0.0,
    hint: str = "",
    unit: str = "",
) -> Feedback:
    """Compare a student's ``answer`` with the ``expected`` value and explain the outcome.

    Parameters
    ----------
    exercise : str
        Label shown to the student (unique per notebook, e.g. ``"2a"``).
    answer : object
        The student's answer; ``...`` means "not answered yet".
    expected : object
        The right answer, computed by the notebook with ``vmlab`` (never typed in by hand).
        Numbers are compared with ``rtol``/``atol``; anything else (bool, str) must be equal
        (strings ignoring case and surrounding spaces).
    rtol, atol : float
        Relative and absolute tolerance for numbers: ``|answer - expected| <= atol + rtol*|expected|``.
    hint : str
        Shown when the answer is wrong, to point at the idea rather than the number.
    unit : str
        Unit shown with numbers in the message.
    """
    suffix = f" {unit}" if unit else ""
    if answer is Ellipsis:
        return Feedback(exercise, False, False, "replace ... with your prediction, then run this cell again.")
    if _is_number(expected):
        if not _is_number(answer):
            return Feedback(exercise, False, True, f"expected a number{suffix}; got {answer!r}. {hint}".strip())
        exp, ans = float(expected), float(answer)
        if math.isnan(ans):
            return Feedback(exercise, False, True, f"your answer is NaN. {hint}".strip())
        ok = abs(ans - exp) <= atol + rtol * abs(exp)
        if ok:
            return Feedback(exercise, True, True, f"right: the model gives {exp:.4g}{suffix}.")
        direction = "too high" if ans > exp else "too low"
        return Feedback(exercise, False, True, f"{ans:.4g}{suffix} is {direction}. {hint}".strip())
    if isinstance(expected, str):
        ok = isinstance(answer, str) and answer.strip().lower() == expected.strip().lower()
    else:
        ok = answer == expected
    if ok:
        return Feedback(exercise, True, True, f"right: {expected!r}.")
    return Feedback(exercise, False, True, f"{answer!r} is not it. {hint}".strip())
