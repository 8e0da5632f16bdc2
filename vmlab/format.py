"""Numbers as a person would say them: durations and data sizes with a readable unit.

One place for the formatters that figures, explorers, tables and exercise feedback share.
"""

from __future__ import annotations

import math

from vmlab.units import mib_to_gib

__all__ = ["format_duration", "format_mib"]


def _finite(x) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def format_duration(seconds: float) -> str:
    """A duration in the unit a person would say it in.

    >>> format_duration(0.2335), format_duration(34.2), format_duration(408), format_duration(float("nan"))
    ('234 ms', '34.2 s', '6.8 min', 'n/a')
    >>> format_duration(0.0004)
    '0.4 ms'
    """
    if not _finite(seconds):
        return "n/a"
    if seconds < 0.01:
        return f"{seconds * 1000:.2g} ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 3 * 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def format_mib(mib: float) -> str:
    """Data size with a readable unit.

    >>> format_mib(0.5), format_mib(3276.8), format_mib(40960)
    ('0.5 MiB', '3,277 MiB', '40.0 GiB')
    """
    if not _finite(mib):
        return "n/a"
    if mib_to_gib(mib) >= 10:
        return f"{mib_to_gib(mib):.1f} GiB"
    if mib >= 100:
        return f"{mib:,.0f} MiB"
    return f"{mib:.3g} MiB"
