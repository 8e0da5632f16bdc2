"""Parameter validation shared by every parameter dataclass.

Every check raises a ``TypeError`` (wrong kind of value) or a ``ValueError`` (right kind,
wrong value) whose message names the parameter, the value it got and the allowed range, so a
student who types ``VM(memory_mib=-4)`` learns what to fix instead of meeting a NaN later.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import MISSING, dataclass, field, fields, replace
from typing import Any, ClassVar

__all__ = [
    "check_number", "check_int", "check_choice", "check_bool", "check_order", "check_type",
    "Number", "Choice", "Flag", "Text", "Instance", "number", "integer", "choice", "flag", "text",
    "instance", "Params",
]


def _show(value: Any) -> str:
    """A value for an error message: huge numbers in scientific notation, never 300 digits."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and abs(int(value)) >= 10**15:
        digits = str(abs(int(value)))
        return f"{'-' if value < 0 else ''}{digits[0]}.{digits[1:3]}e+{len(digits) - 1}"
    if isinstance(value, float) and math.isfinite(value) and abs(value) >= 1e15:
        return f"{value:.3g}"
    return repr(value)


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
        raise TypeError(f"{name} must be {allowed}; got {value!r:.80} of type {type(value).__name__}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond the float range
        raise ValueError(f"{name} must be {allowed}; got {_show(value)}") from None
    if math.isnan(number):
        raise ValueError(f"{name} must be {allowed}; got nan")
    if math.isinf(number) and not (allow_inf and number > 0):
        raise ValueError(f"{name} must be {allowed}; got {value!r}")
    too_low = minimum is not None and (number < minimum or (not min_inclusive and number == minimum))
    too_high = maximum is not None and (number > maximum or (not max_inclusive and number == maximum))
    if too_low or too_high:
        raise ValueError(f"{name} must be {allowed}; got {_show(value)}")
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
        if isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value) and float(value).is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be {allowed}; got {_show(value):.80} of type {type(value).__name__}")
    number = int(value)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ValueError(f"{name} must be {allowed}; got {_show(number)}")
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


def check_type(name: str, value: Any, kind: type | tuple[type, ...], what: str | None = None) -> Any:
    """Check that ``value`` is an instance of ``kind`` (e.g. a ``VM`` where a ``VM`` is needed).

    >>> check_type("vm", "x", int, "a VM")
    Traceback (most recent call last):
    ...
    TypeError: vm must be a VM; got 'x' of type str
    """
    if not isinstance(value, kind):
        if what is None:
            names = kind if isinstance(kind, tuple) else (kind,)
            what = " or ".join(k.__name__ for k in names)
        raise TypeError(f"{name} must be {what}; got {value!r:.80} of type {type(value).__name__}")
    return value


# ---- declarative field specs ------------------------------------------------------------------
# A parameter dataclass declares each field's allowed values next to its default:
#
#     @dataclass(frozen=True, kw_only=True)
#     class Link(Params):
#         bandwidth_mib_s: float = number(119.2, minimum=0, min_inclusive=False)
#
# and ``Params.__post_init__`` checks (and normalises) every declared field. The same spec checks
# whole arrays for the vectorised grids (``Number.check_array``).

_SPEC_KEY = "vmlab_check"


@dataclass(frozen=True)
class Number:
    """Allowed values of a numeric field (see :func:`check_number` / :func:`check_int`)."""

    minimum: float | None = None
    maximum: float | None = None
    min_inclusive: bool = True
    max_inclusive: bool = True
    allow_inf: bool = False
    allow_none: bool = False
    whole: bool = False

    def check(self, name: str, value: Any) -> Any:
        if self.whole:
            if value is not None and isinstance(value, float) and math.isinf(value) and self.allow_inf:
                return value
            return check_int(name, value, minimum=self.minimum, maximum=self.maximum, allow_none=self.allow_none)
        return check_number(
            name, value, minimum=self.minimum, maximum=self.maximum, min_inclusive=self.min_inclusive,
            max_inclusive=self.max_inclusive, allow_inf=self.allow_inf, allow_none=self.allow_none,
        )

    def describe(self) -> str:
        if self.whole:
            parts = [f">= {self.minimum:g}"] if self.minimum is not None else []
            parts += [f"<= {self.maximum:g}"] if self.maximum is not None else []
            text = "whole numbers" + (" " + " and ".join(parts) if parts else "")
        else:
            text = _describe_range(self.minimum, self.maximum, self.min_inclusive, self.max_inclusive,
                                   self.allow_inf, False)
        if self.allow_none:
            text += " (None means no limit)"
        return text

    def check_array(self, name: str, values: Any):
        """Vectorised :meth:`check`: a float array (``None`` read as ``inf``), or an error naming the first bad value."""
        import numpy as np  # only the grids need numpy here

        arr = np.asarray(values, dtype=object if values is None else None)
        if arr.dtype == object:
            flat = []
            for v in arr.ravel():
                if v is None and self.allow_none:
                    flat.append(math.inf)
                elif isinstance(v, bool) or not isinstance(v, numbers.Real):
                    raise TypeError(f"{name} values must be {self.describe()}; got {v!r:.80} of type {type(v).__name__}")
                else:
                    flat.append(float(v))
            arr = np.array(flat, dtype=float).reshape(arr.shape)
        if arr.dtype.kind not in "iuf":
            raise TypeError(f"{name} values must be {self.describe()}; got an array of {arr.dtype}")
        arr = arr.astype(float, copy=False)
        lo, hi = self.minimum, self.maximum
        inf_ok = self.allow_inf or self.allow_none
        # one comparison per bound; a comparison with nan is False, so nan is never ok
        if lo is not None:
            ok = (arr >= lo) if self.min_inclusive else (arr > lo)
        else:
            ok = arr > -np.inf
        if hi is not None:
            within = (arr <= hi) if self.max_inclusive else (arr < hi)
            ok &= (within | (arr == np.inf)) if inf_ok else within
        elif not inf_ok:
            ok &= arr < np.inf
        if self.whole:
            ok &= ~np.isfinite(arr) | (arr == np.round(arr))
        bad = ~ok
        if bad.any():
            first = arr.ravel()[np.flatnonzero(bad.ravel())[0]]
            raise ValueError(f"{name} values must be {self.describe()}; got {first:g} ({int(bad.sum())} bad values)")
        return arr


@dataclass(frozen=True)
class Choice:
    """One of a fixed set of values (usually strings)."""

    choices: tuple[Any, ...]

    def check(self, name: str, value: Any) -> Any:
        return check_choice(name, value, self.choices)


@dataclass(frozen=True)
class Flag:
    """A real ``bool``."""

    def check(self, name: str, value: Any) -> bool:
        return check_bool(name, value)


@dataclass(frozen=True)
class Text:
    """A string (a label)."""

    def check(self, name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a string; got {value!r:.80} of type {type(value).__name__}")
        return value


@dataclass(frozen=True)
class Instance:
    """An instance of a class (e.g. the ``VM`` of a placed VM)."""

    kind: Any
    what: str | None = None

    def check(self, name: str, value: Any) -> Any:
        return check_type(name, value, self.kind, self.what)


def _declared(default: Any, spec: Any, doc: str | None = None) -> Any:
    meta = {_SPEC_KEY: spec}
    if doc:
        meta["doc"] = doc
    return field(default=default, metadata=meta)


def number(
    default: float | None = MISSING,  # type: ignore[assignment]
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    min_inclusive: bool = True,
    max_inclusive: bool = True,
    allow_inf: bool = False,
    allow_none: bool = False,
) -> Any:
    """A float field with its allowed range (a :func:`dataclasses.field`); no default: required."""
    return _declared(default, Number(minimum, maximum, min_inclusive, max_inclusive, allow_inf, allow_none))


def integer(
    default: int | None = MISSING,  # type: ignore[assignment]
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    allow_none: bool = False,
) -> Any:
    """A whole-number field with its allowed range."""
    return _declared(default, Number(minimum, maximum, allow_none=allow_none, whole=True))


def choice(default: Any, choices: tuple[Any, ...]) -> Any:
    """A field that takes one of ``choices``."""
    return _declared(default, Choice(tuple(choices)))


def flag(default: bool) -> Any:
    """A ``bool`` field."""
    return _declared(default, Flag())


def text(default: str = MISSING) -> Any:  # type: ignore[assignment]
    """A string field (a label). Without a default the field is required."""
    return _declared(default, Text())


def instance(kind: Any, default: Any = MISSING, *, what: str | None = None) -> Any:
    """A field that holds an instance of ``kind`` (a class or a tuple of classes)."""
    return _declared(default, Instance(kind, what))


class Params:
    """Mixin for frozen, keyword-only parameter dataclasses whose fields declare their checks.

    Every field declared with :func:`number`, :func:`integer`, :func:`choice`, :func:`flag` or
    :func:`text` is checked (and normalised: ints to floats, floats to ints) on construction.
    Rules that tie several fields together go in ``_check_together`` (called afterwards).
    ``replace(**changes)`` returns a validated copy and names unknown fields.

    >>> @dataclass(frozen=True, kw_only=True)
    ... class Pipe(Params):
    ...     rate_mib_s: float = number(100.0, minimum=0, min_inclusive=False)
    >>> Pipe(rate_mib_s=5).rate_mib_s
    5.0
    >>> Pipe().replace(rate_mib_s=0)
    Traceback (most recent call last):
    ...
    ValueError: Pipe.rate_mib_s must be a finite number > 0; got 0
    >>> Pipe().replace(rate=1)
    Traceback (most recent call last):
    ...
    TypeError: Pipe has no field(s) rate; valid fields: rate_mib_s
    """

    _label: ClassVar[str | None] = None  # the name in messages (default: the class name)

    def __post_init__(self) -> None:
        owner = self._label or type(self).__name__
        for f in fields(self):  # type: ignore[arg-type]
            spec = f.metadata.get(_SPEC_KEY)
            if spec is not None:
                object.__setattr__(self, f.name, spec.check(f"{owner}.{f.name}", getattr(self, f.name)))
        self._check_together()

    def _check_together(self) -> None:
        """Checks that involve more than one field (override)."""

    def replace(self, **changes: Any) -> Any:
        """A copy with some fields changed (validated again)."""
        check_field_names(type(self), changes)
        return replace(self, **changes)  # type: ignore[type-var]

    @classmethod
    def field_spec(cls, name: str) -> Any:
        """The declared check of field ``name`` (``None`` if it has none)."""
        for f in fields(cls):  # type: ignore[arg-type]
            if f.name == name:
                return f.metadata.get(_SPEC_KEY)
        raise KeyError(f"{cls.__name__} has no field {name!r}")


def check_field_names(cls: type, changes: dict[str, Any]) -> None:
    """Raise a ``TypeError`` naming the keys of ``changes`` that are not fields of ``cls``."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(changes) - names)
    if unknown:
        raise TypeError(f"{cls.__name__} has no field(s) {', '.join(unknown)}; valid fields: {', '.join(sorted(names))}")
