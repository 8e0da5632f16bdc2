"""The few unit conversions vmlab needs, in one place.

The package uses one unit per quantity: memory and data in MiB, rates in MiB/s, time in
seconds (``_s``), downtime and short delays in milliseconds (``_ms``), disks in GiB, money per
hour. Networks are sold in decimal bits per second, memory in binary bytes: a "1 Gbit/s" link
carries 10**9 / 8 / 2**20 = 119.2 MiB/s, not 125.

>>> round(gbit_s_to_mib_s(1), 1)
119.2
>>> round(mib_s_to_gbit_s(128), 3)
1.074
>>> gib_to_mib(40)
40960.0
"""

from __future__ import annotations

MIB = 2**20
"""Bytes in a mebibyte."""
KIB = 2**10
"""Bytes in a kibibyte."""

__all__ = [
    "MIB",
    "KIB",
    "gbit_s_to_mib_s",
    "mbit_s_to_mib_s",
    "mib_s_to_gbit_s",
    "gib_to_mib",
    "mib_to_gib",
    "bytes_to_mib",
    "mib_to_bytes",
    "pages_to_mib",
    "mib_to_pages",
]


def gbit_s_to_mib_s(gbit_s: float) -> float:
    """Convert a decimal network rate in Gbit/s to MiB/s."""
    return gbit_s * 1e9 / 8 / MIB


def mbit_s_to_mib_s(mbit_s: float) -> float:
    """Convert a decimal network rate in Mbit/s to MiB/s (100 Mbit/s = 11.9 MiB/s)."""
    return mbit_s * 1e6 / 8 / MIB


def mib_s_to_gbit_s(mib_s: float) -> float:
    """Convert MiB/s to decimal Gbit/s."""
    return mib_s * MIB * 8 / 1e9


def gib_to_mib(gib: float) -> float:
    """Convert GiB to MiB (numbers or numpy arrays)."""
    return gib * 1024.0


def mib_to_gib(mib: float) -> float:
    """Convert MiB to GiB (numbers or numpy arrays).

    >>> mib_to_gib(1536)
    1.5
    """
    return mib / 1024.0


def bytes_to_mib(n_bytes: float) -> float:
    """Convert bytes to MiB."""
    return n_bytes / MIB


def mib_to_bytes(mib: float) -> float:
    """Convert MiB to bytes."""
    return mib * MIB


def pages_to_mib(pages: float, page_size_kib: float = 4) -> float:
    """Convert a page count to MiB (4 KiB pages by default: 256 pages per MiB)."""
    return pages * page_size_kib / 1024


def mib_to_pages(mib: float, page_size_kib: float = 4) -> float:
    """Convert MiB to a page count (4 KiB pages by default)."""
    return mib * 1024 / page_size_kib
