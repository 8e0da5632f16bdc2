"""Compression and delta encoding: trade CPU for bandwidth during pre-copy.

A compressor shrinks each page by a ratio ``c`` (original / compressed) at a CPU cost of
``cpu_s_per_mib`` seconds per MiB of memory encoded, on ``threads`` sender threads. A round
then carries memory at

    R_mem = min(R · c, threads / cpu_s_per_mib)     (MiB of memory per second)

and puts ``memory / c`` on the wire: compression helps while the link is the bottleneck and
stops helping once the encoder is (a fast link, or a slow codec).

*XBZRLE* (Xor Based Zero Run Length Encoding, QEMU ``docs/devel/migration/xbzrle.rst``) is a
delta encoding: the source keeps the last version of each page sent in a cache (default
``xbzrle-cache-size`` 64 MiB), XORs a re-sent page with it and sends only the runs of changed
bytes. It therefore compresses only *re-sent* pages that are still in the cache, which is why
it suits guests with a sparse update pattern. Here a re-sent page hits the cache with
probability ``min(1, cache_mib / region_mib)`` (the dirtied region against the cache) and a
miss goes out uncompressed, so the dirty passes see

    c_eff = 1 / (h / c + (1 - h)),      h = min(1, cache_mib / region_mib).

The ratios and CPU costs of the presets are illustrative round numbers for teaching, not
measurements: a delta of a sparsely written page is often a few hundred bytes (ratio 5-20), a
general-purpose compressor on memory pages gives 2-3x at tens to a few hundred MiB/s per core.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vmlab._checks import Params, check_type, choice, integer, number, text
from vmlab.migration.autoconverge import AutoConvergePolicy, RoundsResult, run_rounds
from vmlab.migration.params import VM, Link, PrecopyPolicy

__all__ = ["Compression", "compressed_precopy"]


@dataclass(frozen=True, kw_only=True)
class Compression(Params):
    """A page compressor or delta encoder as the migration sees it.

    Parameters
    ----------
    name : str
        Label for tables and figures.
    ratio : float
        Original size / compressed size of a page it encodes (>= 1).
    cpu_s_per_mib : float
        CPU seconds to encode one MiB of memory (0: free).
    threads : int
        Sender threads encoding in parallel (QEMU multifd channels, or 1 for XBZRLE).
    applies_to : {"all", "dirty"}
        ``"all"``: every page (a compressor); ``"dirty"``: only re-sent pages found in the
        cache (XBZRLE, which needs the previous version of the page).
    cache_mib : float or None
        Cache of previously sent pages (``"dirty"`` only; ``None``: unlimited).

    Examples
    --------
    >>> x = Compression.xbzrle()
    >>> x.cache_mib, x.applies_to
    (64.0, 'dirty')
    >>> [round(v, 2) for v in x.effective_ratios(region_mib=256)]   # 1/4 of re-sent pages hit
    [1.0, 1.28]
    >>> Compression(ratio=0.5)
    Traceback (most recent call last):
    ...
    ValueError: Compression.ratio must be a finite number >= 1 and <= 1e+06; got 0.5
    """

    name: str = text("compression")
    ratio: float = number(2.0, minimum=1, maximum=1e6)
    cpu_s_per_mib: float = number(0.005, minimum=0, maximum=1e3)
    threads: int = integer(1, minimum=1, maximum=256)
    applies_to: str = choice("all", ("all", "dirty"))
    cache_mib: float | None = number(None, minimum=0, min_inclusive=False, allow_none=True)

    @classmethod
    def none(cls) -> Compression:
        """No compression: every page goes out as it is, at no CPU cost (ratio 1, free).

        >>> Compression.none().encode_mib_s
        inf
        """
        return cls(name="none", ratio=1.0, cpu_s_per_mib=0.0)

    @property
    def encode_mib_s(self) -> float:
        """Most memory the encoder can process per second (all threads), MiB/s."""
        return float("inf") if self.cpu_s_per_mib == 0 else self.threads / self.cpu_s_per_mib

    def effective_ratios(self, region_mib: float) -> tuple[float, float]:
        """Ratios seen by the full pass and by the dirty passes for a guest writing ``region_mib``."""
        if self.applies_to == "all":
            return self.ratio, self.ratio
        hit = 1.0 if (self.cache_mib is None or region_mib <= 0) else min(1.0, self.cache_mib / region_mib)
        return 1.0, 1.0 / (hit / self.ratio + (1.0 - hit))

    @classmethod
    def xbzrle(cls, **overrides: Any) -> Compression:
        """QEMU XBZRLE: delta-encode re-sent pages against a 64 MiB cache, one thread.

        Cache size: QEMU's default ``xbzrle-cache-size`` (64 MiB). Ratio 8 and 1 ms of CPU per
        MiB (1 GiB/s) are illustrative values for a sparsely written page, not measurements.
        """
        return cls(name="XBZRLE", ratio=8.0, cpu_s_per_mib=0.001, threads=1, applies_to="dirty", cache_mib=64.0).replace(**overrides)

    @classmethod
    def zlib(cls, **overrides: Any) -> Compression:
        """A general-purpose compressor on every page (QEMU multifd ``zlib``), 2 channels.

        Multifd's default is 2 channels; ratio 2.5 and 10 ms of CPU per MiB (100 MiB/s per
        core) are illustrative values.
        """
        return cls(name="zlib (multifd)", ratio=2.5, cpu_s_per_mib=0.01, threads=2, applies_to="all").replace(**overrides)


def compressed_precopy(
    vm: VM,
    link: Link,
    policy: PrecopyPolicy | None = None,
    *,
    compression: Compression | None = None,
    throttle: AutoConvergePolicy | None = None,
) -> RoundsResult:
    """Pre-copy with pages compressed (or delta-encoded) before they go on the wire.

    Parameters
    ----------
    vm, link, policy
        As for :func:`vmlab.precopy`.
    compression : Compression, optional
        Defaults to :meth:`Compression.xbzrle`.
    throttle : AutoConvergePolicy, optional
        Add auto-converge on top.

    Returns
    -------
    RoundsResult
        ``data_sent_mib`` counts wire bytes, ``memory_sent_mib`` the memory carried and
        ``compression_cpu_s`` the encoding work.

    Examples
    --------
    A 2.5x compressor lets a 1 Gbit/s link carry 298 MiB/s of memory, so a guest dirtying
    150 MiB/s converges where plain pre-copy cannot:

    >>> from vmlab import precopy
    >>> vm = VM(memory_mib=4096, dirty_rate_mib_s=150, wws_mib=2048)
    >>> link, qemu = Link(bandwidth_mib_s=119.2), PrecopyPolicy.qemu(max_bandwidth_mib_s=None)
    >>> precopy(vm, link, qemu).converged
    False
    >>> r = compressed_precopy(vm, link, qemu, compression=Compression.zlib())
    >>> r.converged, r.data_sent_mib < r.memory_sent_mib
    (True, True)
    """
    compression = Compression.xbzrle() if compression is None else compression
    check_type("compression", compression, Compression, "a Compression")
    return run_rounds(vm, link, policy, throttle=throttle, compression=compression)
