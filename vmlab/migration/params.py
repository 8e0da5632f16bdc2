"""Parameters of a migration: the VM, the link and the hypervisor's pre-copy policy.

All three are frozen, keyword-only dataclasses validated on construction, so a bad value is
caught where it is typed, with a message naming the field, the value and the allowed range.
Each field declares its allowed range next to its default (``vmlab._checks.number`` and
friends); the same declaration checks the arrays of the vectorised :func:`vmlab.precopy_grid`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from vmlab._checks import Params, choice, flag, integer, number, text
from vmlab.units import KIB, MIB

__all__ = ["VM", "Link", "Host", "PrecopyPolicy", "DIRTY_PATTERNS"]

MAX_MEMORY_MIB = 1e9
"""Largest guest memory accepted, MiB (about 950 TiB: far above any real VM, small enough to compute with)."""
MAX_BANDWIDTH_MIB_S = 1e6
"""Fastest link accepted, MiB/s (about 8 Tbit/s)."""
MAX_TIMEOUT_S = 1e7
"""Longest wall-clock timeout accepted, s (about 116 days)."""

DIRTY_PATTERNS = ("working_set", "uniform", "constant")
"""Dirtying models a :class:`VM` can follow (see :mod:`vmlab.migration.dirty`)."""

@dataclass(frozen=True, kw_only=True)
class VM(Params):
    """A virtual machine as the migration sees it: memory, how it dirties pages, zero pages.

    Parameters
    ----------
    memory_mib : float
        Guest RAM in MiB.
    dirty_rate_mib_s : float or None
        Rate at which the guest writes to memory, in MiB/s of pages dirtied. ``None`` or
        ``math.inf`` means "faster than any link": the whole working set is dirty again as soon
        as it has been sent (a guest rewriting its memory in a tight loop).
    wws_mib : float or None
        Writable working set: the region the guest writes to. ``None`` means all of memory.
    dirty_pattern : {"working_set", "uniform", "constant"}
        How writes spread over the working set W during a round of length t (rate D):

        - ``"working_set"`` (default): hot pages rewritten in a cycle; the set dirtied in a
          round grows as D·t and saturates at W: ``min(D·t, W)``.
        - ``"uniform"``: writes land on random pages of W, so repeated hits on the same page
          make the unique dirty set saturate smoothly: ``W·(1 - exp(-D·t / W))``.
        - ``"constant"``: the textbook geometric model (Liu et al. 2011): every write dirties a
          new page, ``D·t``, limited only by the memory size (``wws_mib`` must be ``None``).
    zero_fraction : float
        Share of memory that holds zero pages (never written: the guest's writes land in the
        other pages, so the working set is at most the non-zero memory). A hypervisor sends a zero page
        as a tiny header instead of the whole page (QEMU: about 9 bytes for 4 KiB), which is
        why an idle VM migrates in a blink.
    page_size_kib : int
        Page size in KiB (4 on x86).
    vcpus : int
        Virtual CPUs, for the destination's capacity check.
    device_state_mib : float
        CPU and device state copied during the blackout, in MiB (a few hundred KiB for a
        typical QEMU guest; more with GPUs or big virtio queues).

    Examples
    --------
    >>> vm = VM(memory_mib=4096, dirty_rate_mib_s=60, wws_mib=512, zero_fraction=0.2)
    >>> vm.nonzero_mib
    3276.8
    >>> VM(memory_mib=-1)
    Traceback (most recent call last):
    ...
    ValueError: VM.memory_mib must be a finite number > 0 and <= 1e+09; got -1
    """

    memory_mib: float = number(4096.0, minimum=0, min_inclusive=False, maximum=MAX_MEMORY_MIB)
    dirty_rate_mib_s: float | None = number(0.0, minimum=0, allow_inf=True, allow_none=True)
    wws_mib: float | None = number(None, minimum=0, min_inclusive=False, allow_none=True)
    dirty_pattern: str = choice("working_set", DIRTY_PATTERNS)
    zero_fraction: float = number(0.0, minimum=0, maximum=1)
    page_size_kib: int = integer(4, minimum=1, maximum=1048576)
    vcpus: int = integer(2, minimum=1, maximum=1024)
    device_state_mib: float = number(0.5, minimum=0)

    def _check_together(self) -> None:
        if self.memory_mib * KIB < self.page_size_kib:
            raise ValueError(
                f"VM.memory_mib must hold at least one page (VM.page_size_kib = {self.page_size_kib} KiB); "
                f"got {self.memory_mib:g} MiB"
            )
        if self.wws_mib is not None and self.wws_mib > self.memory_mib:
            raise ValueError(
                f"VM.wws_mib must be at most VM.memory_mib ({self.memory_mib:g} MiB); got {self.wws_mib:g}"
            )
        if self.dirty_pattern == "constant" and self.wws_mib is not None:
            raise ValueError(
                "VM.wws_mib must be None with dirty_pattern='constant' (every write dirties a new "
                f"page); got {self.wws_mib:g}. Use dirty_pattern='working_set' for a capped working set."
            )

    @property
    def dirty_rate(self) -> float:
        """Dirty rate in MiB/s with ``None`` read as ``inf``."""
        return math.inf if self.dirty_rate_mib_s is None else self.dirty_rate_mib_s

    @property
    def region_mib(self) -> float:
        """The memory the guest writes to: ``wws_mib`` (or all of memory), within its non-zero pages.

        Zero pages are by definition pages the guest has not written, so writes land in the
        non-zero part of memory: ``min(wws_mib or memory_mib, nonzero_mib)``.
        """
        wws = self.memory_mib if self.wws_mib is None else self.wws_mib
        return min(wws, self.nonzero_mib)

    @property
    def nonzero_mib(self) -> float:
        """Memory that is not zero pages, in MiB (sent in full in the first pass)."""
        return self.memory_mib * (1.0 - self.zero_fraction)


@dataclass(frozen=True, kw_only=True)
class Link(Params):
    """The migration network between source and destination.

    Parameters
    ----------
    bandwidth_mib_s : float
        Usable bandwidth in MiB/s. A 1 Gbit/s link carries 119.2 MiB/s, 10 Gbit/s 1192
        (see :mod:`vmlab.units`).
    latency_ms : float
        One-way latency in ms, paid once by the last byte of the stop-and-copy.

    >>> Link(bandwidth_mib_s=119.2).bandwidth_mib_s
    119.2
    """

    bandwidth_mib_s: float = number(119.2, minimum=0, min_inclusive=False, maximum=MAX_BANDWIDTH_MIB_S)
    latency_ms: float = number(0.1, minimum=0)


@dataclass(frozen=True, kw_only=True)
class Host(Params):
    """Free capacity on a destination host, checked in the preparation step of a live migration.

    >>> Host(free_memory_mib=2048, free_vcpus=4).free_memory_mib
    2048.0
    """

    free_memory_mib: float = number(math.inf, minimum=0, allow_inf=True)
    free_vcpus: float = number(math.inf, minimum=0, allow_inf=True)
    name: str = text("destination")


@dataclass(frozen=True, kw_only=True)
class PrecopyPolicy(Params):
    """How a hypervisor runs pre-copy: when it stops iterating and how fast it sends.

    Use a preset (:meth:`qemu`, :meth:`xen_legacy`, :meth:`xen`) and override fields by
    keyword, e.g. ``PrecopyPolicy.qemu(downtime_limit_ms=50, timeout_s=120)``.

    Parameters
    ----------
    name : str
        Label for tables and figures.
    stop_rule : {"downtime", "dirty_pages"}
        ``"downtime"`` (QEMU): switch over when the remaining dirty data could be sent within
        ``downtime_limit_ms`` at the measured bandwidth, ``pending < bandwidth × limit``.
        ``"dirty_pages"`` (Xen): switch over once a live round sent fewer than
        ``min_dirty_pages`` pages; the pages dirtied during that round are the stop-and-copy.
    downtime_limit_ms : float
        The downtime the operator accepts (QEMU ``downtime-limit``, default 300 ms; QEMU
        accepts 0 to 2000 s).
    max_bandwidth_mib_s : float or None
        Rate cap on the pre-copy rounds (QEMU ``max-bandwidth``, default 128 MiB/s); rounds run
        at ``min(link, cap)``. ``None``: no cap.
    cap_final_copy : bool
        Whether the stop-and-copy is also capped. QEMU lifts the cap for it, so the blackout
        runs at link speed.
    max_rounds : int or None
        Most live rounds before a forced stop-and-copy (Xen legacy: 29, then the 30th round is
        the stop-and-copy; current Xen: 5). ``None``: no cap (QEMU).
    max_sent_factor : float or None
        Force the stop-and-copy once more than this many times the memory size has been sent
        (Xen legacy: 3).
    min_dirty_pages : int
        The ``"dirty_pages"`` rule's target (Xen: 50 pages), at least 1.
    stop_if_dirty_grows : bool
        Force the stop-and-copy when the round just sent was larger than the one before it
        (Xen legacy gives up when the dirty set grows while it sends at its maximum rate).
    bandwidth_window_ms : float or None
        QEMU measures the bandwidth it achieved every 100 ms and uses the last window's value
        in the threshold. Before the first window has passed the threshold is 0, so a first
        pass that ends inside the first window switches over at once whatever the limit.
        ``None``: use the configured rate throughout.
    setup_ms : float
        Preparation before the first byte is sent (connect, reserve the destination, start
        dirty logging; QEMU's ``setup-time``).
    resume_ms : float
        Loading device state and restarting the vCPUs on the destination.
    arp_ms : float
        Announcing the new location (gratuitous ARP / RARP) until the network forwards to the
        destination port.
    zero_page_bytes : float or None
        Bytes on the wire for a zero page (QEMU: 9: an 8-byte header and one byte). ``None``:
        zero pages are sent in full.
    zero_scan_mib_s : float or None
        Rate at which the sender scans zero pages (they cost CPU to detect, not bandwidth).
        The scan overlaps the rate-limited sending, so the first pass takes
        ``max(bytes / rate, zero_mib / zero_scan_mib_s)``. ``None``: free. QEMU 7.2 measured
        here: about 10 GiB/s (``vmlab.qemu.compare.TCG_LOOPBACK``).
    bandwidth_efficiency : float
        Share of the configured rate the pre-copy stream achieves (1.0 = all of it).
    timeout_s : float or None
        Wall-clock budget of the whole migration, at most 1e7 s. QEMU itself never gives up: an
        operator or the management layer cancels it (OpenStack Nova's
        ``live_migration_completion_timeout`` is 800 s per GiB; here one number). ``None``: no
        timeout (Xen), allowed only with a round cap (``max_rounds``) so that every migration
        ends.
    on_timeout : {"cancel", "force"}
        What happens at the timeout: ``"cancel"`` aborts (the VM keeps running on the source,
        no downtime, nothing gained), ``"force"`` pauses the VM and copies what is left
        (libvirt ``virsh migrate --timeout`` with the suspend action; Nova ``force_complete``).
    """

    name: str = text("custom")
    stop_rule: str = choice("downtime", ("downtime", "dirty_pages"))
    downtime_limit_ms: float = number(300.0, minimum=0.001, maximum=2_000_000.0)
    max_bandwidth_mib_s: float | None = number(None, minimum=0, min_inclusive=False, allow_none=True)
    cap_final_copy: bool = flag(False)
    max_rounds: int | None = integer(None, minimum=1, maximum=1_000_000, allow_none=True)
    max_sent_factor: float | None = number(None, minimum=1, maximum=1000, allow_none=True)
    min_dirty_pages: int = integer(50, minimum=1, maximum=2**40)
    stop_if_dirty_grows: bool = flag(False)
    bandwidth_window_ms: float | None = number(None, minimum=0, min_inclusive=False, allow_none=True)
    setup_ms: float = number(50.0, minimum=0)
    resume_ms: float = number(10.0, minimum=0)
    arp_ms: float = number(1.0, minimum=0)
    zero_page_bytes: float | None = number(None, minimum=0, maximum=float(MIB * KIB), allow_none=True)
    zero_scan_mib_s: float | None = number(None, minimum=0, min_inclusive=False, allow_none=True)
    bandwidth_efficiency: float = number(1.0, minimum=0, maximum=1, min_inclusive=False)
    timeout_s: float | None = number(600.0, minimum=0, min_inclusive=False, maximum=MAX_TIMEOUT_S, allow_none=True)
    on_timeout: str = choice("cancel", ("cancel", "force"))

    def _check_together(self) -> None:
        if self.timeout_s is None and self.max_rounds is None:
            raise ValueError(
                "PrecopyPolicy.timeout_s may be None (no timeout) only with a round cap: set "
                "max_rounds, or a timeout, so that a migration that never converges still ends"
            )

    @classmethod
    def qemu(cls, **overrides: Any) -> PrecopyPolicy:
        """QEMU's pre-copy (``migration/migration.c`` and ``options.c``, QEMU 7.2-9.x).

        Every 100 ms QEMU measures the bandwidth it achieved and sets the switch-over
        threshold to ``bandwidth × downtime-limit``; when the remaining dirty data falls below
        it, the VM is paused and the rest copied. Defaults: ``downtime-limit`` 300 ms,
        ``max-bandwidth`` 128 MiB/s (older releases: 30 ms and 32 MiB/s); no round cap, so a
        migration that cannot converge iterates until cancelled; the final stop-and-copy is not
        rate limited; a zero page costs about 9 bytes. Behaviour seen on QEMU 7.2 here: if the
        first full pass ends within the first 100 ms window it switches over at once, whatever
        the limit (the threshold is still 0).

        Checked against 50 real QEMU 7.2 migrations (``data/qemu_migrations.csv``, notebook 06):
        with the machine constants of ``vmlab.qemu.compare.TCG_LOOPBACK`` the verdict was right
        for all 50, and total time within 15 % and bytes within 10 % for every run whose host
        reached the cap. Assumptions of this preset, and what was measured instead:

        - rounds run at the cap (``bandwidth_efficiency=1``); measured: 94-99 % of it;
        - zero pages are free to find (``zero_scan_mib_s=None``); measured: ~10 GiB/s, which is
          what an almost empty guest's migration time is made of;
        - a normal page costs 4096 bytes; QEMU adds an 8-byte header (0.2 %);
        - the threshold is checked when a round ends; QEMU also checks during a pass, counting
          unsent pages (zero pages too) at 4 KiB, so a nearly full guest may switch over before
          its first pass ends and copy the tail of it in the pause (longer downtime, slightly
          shorter total time than predicted);
        - ``setup_ms`` 10 ms; measured over loopback: 0-4 ms.

        >>> p = PrecopyPolicy.qemu(downtime_limit_ms=50)
        >>> p.downtime_limit_ms, p.max_bandwidth_mib_s, p.max_rounds
        (50.0, 128.0, None)
        """
        base = cls(
            name="QEMU",
            stop_rule="downtime",
            downtime_limit_ms=300.0,
            max_bandwidth_mib_s=128.0,
            cap_final_copy=False,
            max_rounds=None,
            bandwidth_window_ms=100.0,
            setup_ms=10.0,
            resume_ms=10.0,
            arp_ms=1.0,
            zero_page_bytes=9.0,
            timeout_s=600.0,
            on_timeout="cancel",
        )
        return base.replace(**overrides)

    @classmethod
    def libvirt(cls, **overrides: Any) -> PrecopyPolicy:
        """QEMU driven by libvirt (and so by OpenStack Nova): :meth:`qemu` without the rate cap.

        libvirt sets QEMU's ``max-bandwidth`` to its maximum, ``QEMU_DOMAIN_MIG_BANDWIDTH_MAX``
        (``INT64_MAX / 1 MiB``, libvirt ``src/qemu/qemu_domain.h``), unless the operator sets one
        (``virsh migrate-setspeed``, ``virsh migrate --bandwidth``; Nova's
        ``[libvirt] live_migration_bandwidth``, default 0: libvirt's maximum). Every other rule
        is QEMU's. Bare QEMU's 128 MiB/s default applies only when you drive QEMU yourself.

        >>> p = PrecopyPolicy.libvirt()
        >>> p.max_bandwidth_mib_s is None, p.downtime_limit_ms, p.name
        (True, 300.0, 'QEMU via libvirt')
        """
        return cls.qemu(**{"name": "QEMU via libvirt", "max_bandwidth_mib_s": None, **overrides})

    @classmethod
    def xen_legacy(cls, **overrides: Any) -> PrecopyPolicy:
        """Xen's classic pre-copy (``tools/libxc/xc_linux_save.c``, Clark et al., NSDI 2005).

        Read in Xen's repository at tag ``RELEASE-3.0.0`` (``xc_linux_save``; the same loop is
        ``xc_domain_save`` in ``tools/libxc/xc_domain_save.c`` up to 4.5). After each live
        iteration it starts the last one (suspend, then send what is dirty) when

        - ``(sent_this_iter > sent_last_iter) && RATE_IS_MAX()``: the round just sent was
          larger than the one before, while sending at the top rate (``stop_if_dirty_grows``).
          This is the paper's adaptive-rate design; the released code compiles it only with
          ``ADAPTIVE_SAVE`` defined (never by the build; otherwise ``RATE_IS_MAX()`` is 0) and
          dropped it in 2011. The preset keeps it as the paper describes it; set
          ``stop_if_dirty_grows=False`` for the code as shipped;
        - ``iter >= max_iters`` with ``DEF_MAX_ITERS 29``: 29 live rounds, the first full pass
          included, and the 30th is the stop-and-copy;
        - ``sent_this_iter + skip_this_iter < 50``: the round *just sent* had fewer than 50
          pages, so one more live round is sent than a test on the pending set would allow;
        - ``total_sent > p2m_size * max_factor`` with ``DEF_MAX_FACTOR 3``: strictly more
          than 3x the guest's pages sent.

        Xen has no wall-clock timeout (``timeout_s=None``). Every page is sent in full. The
        adaptive rate limit of the paper (100 to 500 Mbit/s) is not modelled: rounds run at
        link speed unless ``max_bandwidth_mib_s`` is set.

        >>> p = PrecopyPolicy.xen_legacy()
        >>> p.max_rounds, p.max_sent_factor, p.min_dirty_pages, p.timeout_s
        (29, 3.0, 50, None)
        """
        base = cls(
            name="Xen (legacy)",
            stop_rule="dirty_pages",
            min_dirty_pages=50,
            max_rounds=29,
            max_sent_factor=3.0,
            stop_if_dirty_grows=True,
            max_bandwidth_mib_s=None,
            timeout_s=None,
            on_timeout="force",
        )
        return base.replace(**overrides)

    @classmethod
    def xen(cls, **overrides: Any) -> PrecopyPolicy:
        """Current Xen (``tools/libs/guest/xg_sr_save.c``): 5 pre-copy iterations, 50-page target.

        ``simple_precopy_policy`` stops when ``dirty_count < SPP_TARGET_DIRTY_COUNT`` (50) or
        ``iteration >= SPP_MAX_ITERATIONS`` (5). In ``send_memory_live`` the dirty pages are
        sent live *before* the decision takes effect, so a small dirty set is sent in one more
        live round and the stop-and-copy carries what was dirtied during it: the same rule as
        legacy Xen, a round that sent fewer than 50 pages ends the live phase. After the 5th
        iteration the policy stops before another bitmap sync, so 5 live rounds at most. No
        wall-clock timeout (``timeout_s=None``) and no sent cap.

        >>> p = PrecopyPolicy.xen()
        >>> p.max_rounds, p.timeout_s
        (5, None)
        """
        base = cls(
            name="Xen",
            stop_rule="dirty_pages",
            min_dirty_pages=50,
            max_rounds=5,
            max_bandwidth_mib_s=None,
            timeout_s=None,
            on_timeout="force",
        )
        return base.replace(**overrides)
