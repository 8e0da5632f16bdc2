"""Parameter validation shared by every parameter dataclass.

Every check raises a ``TypeError`` (wrong kind of value) or a ``ValueError`` (right kind,
wrong value) whose message names the parameter, the value it got and the allowed range, so a
student who types ``VM(memory_mib=-4)`` learns what to fix instead of meeting a NaN later.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["check_number", "check_int", "check_choice", "check_bool", "check_order"]


def _describe_range(
    minimum: float | None,
    maximum: float | None,
    min_inclusive: bool,
    max_inclusive: bool,
    allow_inf: bool,
    allow_none: bool,
) -> str:
    parts = []
    if minimum is not None:
        parts.append(f"{'>=' if min_inclusive else '>'} {minimum:g}")
    if maximum is not None:
        parts.append(f"{'<=' if max_inclusive else '<'} {maximum:g}")
    text = "a finite number" if not allow_inf else "a number"
    if parts:
        text += " " + " and ".join(parts)
    if allow_inf:
        text += " (inf allowed)"
    if allow_none:
        text += ", or None"
    return text


def check_number(
    name: str,
    value: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    min_inclusive: bool = True,
    max_inclusive: bool = True,
    allow_inf: bool = False,
    allow_none: bool = False,
) -> float | None:
    """Return ``value`` as a float after checking it lies in the allowed range.

    Parameters
    ----------
    name : str
        Name shown in the error, e.g. ``"VM.memory_mib"``.
    value : object
        The value to check. ``bool`` is refused (``True`` is not a size).
    minimum, maximum : float, optional
        Bounds; ``min_inclusive``/``max_inclusive`` say whether the bound itself is allowed.
    allow_inf : bool
        Whether ``+inf`` is a meaningful value (e.g. "faster than any link").
    allow_none : bool
        Whether ``None`` is allowed (returned unchanged).

    Examples
    --------
    >>> check_number("Link.bandwidth_mib_s", 125, minimum=0, min_inclusive=False)
    125.0
    >>> check_number("Link.bandwidth_mib_s", -1, minimum=0, min_inclusive=False)
    Traceback (most recent call last):
    ...
    ValueError: Link.bandwidth_mib_s must be a finite number > 0; got -1
    """
    allowed = _describe_range(minimum, maximum, min_inclusive, max_inclusive, allow_inf, allow_none)
    if value is None:
        if allow_none:
            return None
        raise TypeError(f"{name} must be {allowed}; got None")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {allowed}; got {value!r} of type {type(value).__name__}")
    number = float(value)
    if math.isnan(number):
        raise ValueError(f"{name} must be {allowed}; got nan")
    if math.isinf(number) and not (allow_inf and number > 0):
        raise ValueError(f"{name} must be {allowed}; got {value!r}")
    too_low = minimum is not None and (number < minimum or (not min_inclusive and number == minimum))
    too_high = maximum is not None and (number > maximum or (not max_inclusive and number == maximum))
    if too_low or too_high:
        raise ValueError(f"{name} must be {allowed}; got {value!r}")
    return number


def check_int(
    name: str,
    value: Any,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    allow_none: bool = False,
) -> int | None:
    """Return ``value`` as an int after checking it is a whole number in range.

    >>> check_int("PrecopyPolicy.max_rounds", 30, minimum=1)
    30
    >>> check_int("PrecopyPolicy.max_rounds", 2.5, minimum=1)
    Traceback (most recent call last):
    ...
    TypeError: PrecopyPolicy.max_rounds must be a whole number >= 1; got 2.5 of type float
    """
    parts = []
    if minimum is not None:
        parts.append(f">= {minimum}")
    if maximum is not None:
        parts.append(f"<= {maximum}")
    allowed = "a whole number" + (" " + " and ".join(parts) if parts else "")
    if allow_none:
        allowed += ", or None"
    if value is None:
        if allow_none:
            return None
        raise TypeError(f"{name} must be {allowed}; got None")
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and not isinstance(value, bool) and float(value).is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be {allowed}; got {value!r} of type {type(value).__name__}")
    number = int(value)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ValueError(f"{name} must be {allowed}; got {number}")
    return number


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    """Check that ``value`` is one of ``choices``.

    >>> check_choice("VM.dirty_pattern", "uniform", ("constant", "working_set", "uniform"))
    'uniform'
    """
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {options}; got {value!r}")
    return value


def check_bool(name: str, value: Any) -> bool:
    """Check that ``value`` is a real ``bool`` (not 0/1 or a string)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False; got {value!r} of type {type(value).__name__}")
    return value


def check_order(lower_name: str, lower: float, upper_name: str, upper: float, *, strict: bool = True) -> None:
    """Check ``lower < upper`` (or ``<=`` when ``strict`` is False), naming both parameters.

    >>> check_order("scale_in_below", 0.8, "scale_out_above", 0.3)
    Traceback (most recent call last):
    ...
    ValueError: scale_in_below (0.8) must be less than scale_out_above (0.3)
    """
    bad = lower >= upper if strict else lower > upper
    if bad:
        relation = "less than" if strict else "at most"
        raise ValueError(f"{lower_name} ({lower:g}) must be {relation} {upper_name} ({upper:g})")
