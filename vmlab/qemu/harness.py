"""Run one real live migration between two QEMU processes on this machine, and measure it.

The set-up (all on 127.0.0.1, nothing listens anywhere else)::

    source QEMU (TCG)                                   destination QEMU (TCG, paused)
    guest.elf: fill RAM, rewrite working set  ──TCP──>  -incoming defer; migrate-incoming
          ▲ QMP (unix socket)                                     ▲ QMP (unix socket)
          └──────────────── vmlab.qemu driver (qemu.qmp) ─────────┘
        migrate-set-parameters, migrate, query-migrate every 100 ms, migrate_cancel

The guest (``vmlab/qemu/guest/``, built on first use with ``gcc -m32 -ffreestanding
-nostdlib``) fills ``fill_mib`` of RAM with non-zero data, then rewrites one byte of every
4 KiB page of a ``working_set_mib`` working set, optionally paced, and keeps a page-write
counter at physical address 0x9000 that the driver reads to measure the real dirty rate.

Both QEMU processes run in their own process groups and are killed in a ``finally`` block
whatever happens (timeouts, errors, Ctrl-C); every wait is bounded.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from vmlab._checks import check_bool, check_number
from vmlab.units import MIB

__all__ = [
    "GUEST_DIR",
    "ROW_COLUMNS",
    "REGION_BASE_MIB",
    "STATUS_ADDR",
    "MeasuredMigration",
    "QemuUnavailable",
    "build_guest",
    "missing_tools",
    "qemu_available",
    "qemu_version",
    "run_migration",
]

GUEST_DIR = Path(__file__).with_name("guest")
"""Folder holding the guest's source (``guest.c``, ``entry.S``, ``link.ld``)."""
STATUS_ADDR = 0x9000
"""Physical address of the guest's status block (see ``guest.c``)."""
REGION_BASE_MIB = 4
"""The guest's fill region and working set start at this physical address (MiB)."""
PAGE_BYTES = 4096
ROW_COLUMNS = (
    "memory_mib", "fill_mib", "working_set_mib", "paced_rate_mib_s", "max_bandwidth_mib_s",
    "downtime_limit_ms", "timeout_s", "status", "converged", "total_time_s", "downtime_ms",
    "setup_time_ms", "transferred_mib", "precopy_mib", "downtime_mib", "ram_total_mib",
    "normal_pages", "zero_pages", "dirty_sync_count", "achieved_bandwidth_mib_s", "last_mbps",
    "expected_downtime_ms", "guest_write_rate_mib_s", "guest_write_rate_before_mib_s",
    "memory_verified", "stale_pages", "stale_page_addrs", "boot_fill_s", "load_1min", "cpus", "qemu_version", "accel", "measured_at",
)
"""The keys of :attr:`MeasuredMigration.row`, in CSV order (documented in data/README.md)."""
QEMU_BINARY = "qemu-system-x86_64"
_STATUS_MAGIC = 0x564D4C42
_PHASE_RUN = 2
_SOURCES = ("entry.S", "guest.c", "link.ld")
_BUILD_LOCK = threading.Lock()


class QemuUnavailable(RuntimeError):
    """Raised when QEMU or the 32-bit toolchain needed for the guest is missing."""


# --------------------------------------------------------------------------------------------
# tools and guest build
# --------------------------------------------------------------------------------------------
def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "vmlab" / "qemu-guest"


def _gcc_command(out: Path) -> list[str]:
    return [
        "gcc", "-m32", "-ffreestanding", "-nostdlib", "-fno-pic", "-fno-pie", "-no-pie", "-O2",
        "-fno-stack-protector", "-fno-asynchronous-unwind-tables", "-Wall", "-Wextra",
        f"-Wl,-T,{GUEST_DIR / 'link.ld'}", "-Wl,--build-id=none", "-Wl,--no-warn-rwx-segments",
        "-o", str(out), str(GUEST_DIR / "entry.S"), str(GUEST_DIR / "guest.c"), "-lgcc",
    ]


def build_guest(cache_dir: str | os.PathLike | None = None, *, force: bool = False) -> Path:
    """Compile the test guest (once) and return the path of ``guest.elf``.

    The kernel is built into a cache folder (``$XDG_CACHE_HOME/vmlab/qemu-guest/<hash>``, or
    ``cache_dir``), never into the source tree; the folder name is a hash of the sources, so an
    edited guest is rebuilt. Needs ``gcc`` with 32-bit support (Debian: ``gcc-multilib``).

    Raises
    ------
    QemuUnavailable
        If gcc is missing or cannot build 32-bit freestanding code.
    """
    digest = hashlib.sha256()
    for name in _SOURCES:
        digest.update((GUEST_DIR / name).read_bytes())
    digest.update(" ".join(_gcc_command(Path("x"))[:-4]).encode())
    root = Path(cache_dir) if cache_dir is not None else _cache_root()
    target = root / digest.hexdigest()[:16] / "guest.elf"
    with _BUILD_LOCK:
        if target.exists() and not force:
            return target
        if shutil.which("gcc") is None:
            raise QemuUnavailable("gcc is not installed (Debian: apt-get install gcc-multilib binutils)")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError:  # read-only home: fall back to a temp folder
            target = Path(tempfile.gettempdir()) / "vmlab-qemu-guest" / digest.hexdigest()[:16] / "guest.elf"
            target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"guest.{os.getpid()}.{threading.get_ident()}.elf")
        proc = subprocess.run(_gcc_command(tmp), capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise QemuUnavailable(
                "cannot build the 32-bit test guest with gcc -m32 (Debian: apt-get install "
                f"gcc-multilib binutils):\n{proc.stderr.strip()[-2000:]}"
            )
        os.replace(tmp, target)
        return target


def missing_tools() -> list[str]:
    """What is missing to run real migrations here (empty list: everything is in place)."""
    missing = []
    if shutil.which(QEMU_BINARY) is None:
        missing.append(f"{QEMU_BINARY} (Debian: apt-get install qemu-system-x86)")
    try:
        build_guest()
    except (QemuUnavailable, OSError, subprocess.SubprocessError) as err:
        missing.append(str(err).splitlines()[0])
    return missing


def qemu_available() -> bool:
    """True when ``qemu-system-x86_64`` is installed and the guest builds (``gcc -m32``)."""
    return not missing_tools()


def qemu_version() -> str:
    """The installed QEMU's version string, e.g. ``"7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)"``."""
    if shutil.which(QEMU_BINARY) is None:
        raise QemuUnavailable(f"{QEMU_BINARY} is not installed (Debian: apt-get install qemu-system-x86)")
    out = subprocess.run([QEMU_BINARY, "--version"], capture_output=True, text=True, timeout=30).stdout
    match = re.search(r"version\s+(\S+(?:\s+\([^)]*\))?)", out)
    return match.group(1) if match else out.strip().splitlines()[0]


# --------------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MeasuredMigration:
    """One measured migration: the tidy CSV row plus the 100 ms ``query-migrate`` samples.

    Attributes
    ----------
    row : dict
        Inputs and measured numbers (see :data:`ROW_COLUMNS` in ``vmlab.qemu.grid`` and
        ``data/README.md`` for every column and its unit).
    samples : pandas.DataFrame
        One line per ``query-migrate`` poll: ``t_s`` since ``migrate``, ``status``,
        ``transferred_mib``, ``remaining_mib``, ``dirty_sync_count``, ``expected_downtime_ms``,
        ``mbps``.
    serial : str
        The guest's serial console output (diagnostics).
    """

    row: dict[str, Any]
    samples: pd.DataFrame = field(repr=False)
    serial: str = field(default="", repr=False)

    def __getattr__(self, name: str) -> Any:  # result.converged, result.total_time_s, ...
        row = object.__getattribute__(self, "row")
        if name in row:
            return row[name]
        raise AttributeError(name)


# --------------------------------------------------------------------------------------------
# processes
# --------------------------------------------------------------------------------------------
def _set_pdeathsig() -> None:  # runs in the child: die with the thread that started us
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # pragma: no cover - non-Linux
        pass


class _Processes:
    """The QEMU processes of one run; :meth:`kill_all` is safe to call more than once."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []
        self.lock = threading.Lock()

    def start(self, argv: list[str], log: Path) -> subprocess.Popen:
        with self.lock, open(log, "wb") as out:
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, preexec_fn=_set_pdeathsig,
            )
            self.procs.append(proc)
            return proc

    def kill_all(self) -> None:
        with self.lock:
            for proc in self.procs:
                if proc.poll() is None:
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
            for proc in self.procs:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:  # pragma: no cover
                    proc.kill()


def _qemu_argv(guest: Path, memory_mib: int, append: str, qmp: Path, serial: Path, incoming: bool) -> list[str]:
    argv = [
        QEMU_BINARY, "-machine", "pc", "-accel", "tcg", "-m", str(memory_mib),
        "-nodefaults", "-no-user-config", "-display", "none", "-vga", "none", "-net", "none",
        "-kernel", str(guest), "-append", append,
        "-qmp", f"unix:{qmp},server=on,wait=off",
        "-serial", f"file:{serial}",  # both sides need the same devices
    ]
    if incoming:
        argv += ["-S", "-incoming", "defer"]  # stay paused after the migration, for checks
    return argv


# --------------------------------------------------------------------------------------------
# the run itself (asyncio, qemu.qmp)
# --------------------------------------------------------------------------------------------
async def _connect(name: str, path: Path, proc: subprocess.Popen, deadline: float):
    from qemu.qmp import QMPClient

    client = QMPClient(name)
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} QEMU exited with code {proc.returncode} before QMP was up")
        if path.exists():
            try:
                await asyncio.wait_for(client.connect(str(path)), timeout=5)
                return client
            except (OSError, asyncio.TimeoutError, Exception) as err:  # noqa: BLE001 - retry
                last = err
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} QEMU's QMP socket did not come up: {locals().get('last')}")
        await asyncio.sleep(0.05)


async def _cmd(client, name: str, args: dict | None = None, timeout: float = 10.0):
    return await asyncio.wait_for(client.execute(name, args), timeout=timeout)


async def _read_words(client, addr: int, count: int) -> list[int]:
    text = await _cmd(client, "human-monitor-command", {"command-line": f"xp /{count}wx {addr:#x}"})
    words = []
    for line in str(text).splitlines():
        if ":" in line:
            words += [int(w, 16) for w in line.split(":", 1)[1].split()]
    return words[:count]


async def _guest_status(client) -> dict[str, int]:
    w = await _read_words(client, STATUS_ADDR, 9)
    return {
        "magic": w[0], "phase": w[1], "writes": w[2] | (w[3] << 32), "passes": w[4], "tsc_khz": w[5],
    }


async def _stale_pages(src, dst, start: int, length: int, tmp: Path, timeout: float) -> list[int]:
    """Physical addresses of the 4 KiB pages in [start, start + length) that differ between the sides."""
    a, b = tmp / "src.mem", tmp / "dst.mem"
    await _cmd(src, "pmemsave", {"val": start, "size": length, "filename": str(a)}, timeout)
    await _cmd(dst, "pmemsave", {"val": start, "size": length, "filename": str(b)}, timeout)
    chunk = 1 << 20
    stale: list[int] = []
    offset = start
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(chunk), fb.read(chunk)
            if not x and not y:
                return stale
            if x != y:
                stale += [offset + i for i in range(0, max(len(x), len(y)), PAGE_BYTES)
                          if x[i:i + PAGE_BYTES] != y[i:i + PAGE_BYTES]]
            offset += chunk


def _mib(n_bytes: float) -> float:
    return float(n_bytes) / MIB


async def _run(p: dict[str, Any], procs: _Processes, tmp: Path) -> MeasuredMigration:
    guest = build_guest()
    rate_kib_s = int(round(p["dirty_rate_mib_s"] * 1024)) if p["dirty_rate_mib_s"] else 0
    append = f"fill={p['fill_mib']} ws={p['working_set_mib']} rate={rate_kib_s}"
    src_qmp, dst_qmp = tmp / "src.qmp", tmp / "dst.qmp"
    serial = tmp / "serial.log"
    t_boot = time.monotonic()
    deadline = t_boot + p["boot_timeout_s"]
    load_start = os.getloadavg()[0]
    src_proc = procs.start(_qemu_argv(guest, p["memory_mib"], append, src_qmp, serial, False), tmp / "src.log")
    dst_proc = procs.start(_qemu_argv(guest, p["memory_mib"], append, dst_qmp, tmp / "dst-serial.log", True), tmp / "dst.log")
    src = dst = None
    try:
        src = await _connect("source", src_qmp, src_proc, deadline)
        dst = await _connect("destination", dst_qmp, dst_proc, deadline)
        await _cmd(dst, "migrate-incoming", {"uri": "tcp:127.0.0.1:0"})
        addresses = (await _cmd(dst, "query-migrate")).get("socket-address", [])
        port = int(next(a["port"] for a in addresses if a.get("type") == "inet"))
        version = await _cmd(src, "query-version")
        v = version["qemu"]
        qemu_ver = f"{v['major']}.{v['minor']}.{v['micro']}"

        # wait for the guest to finish filling memory
        while True:
            st = await _guest_status(src)
            if st["magic"] == _STATUS_MAGIC and st["phase"] == _PHASE_RUN:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"guest did not reach its run phase within {p['boot_timeout_s']} s: {st}")
            await asyncio.sleep(0.05)
        boot_s = time.monotonic() - t_boot

        # the guest's page-write rate before migrating
        write_rate_before = 0.0
        if p["working_set_mib"] > 0:
            s0, t0 = (await _guest_status(src))["writes"], time.monotonic()
            await asyncio.sleep(p["warmup_s"])
            s1, t1 = (await _guest_status(src))["writes"], time.monotonic()
            write_rate_before = _mib((s1 - s0) * PAGE_BYTES) / (t1 - t0)

        await _cmd(src, "migrate-set-parameters", {
            "max-bandwidth": int(round(p["max_bandwidth_mib_s"] * MIB)),
            "downtime-limit": int(round(p["downtime_limit_ms"])),
        })
        writes0 = (await _guest_status(src))["writes"]
        load_mid = os.getloadavg()[0]
        t_migrate = time.monotonic()
        await _cmd(src, "migrate", {"uri": f"tcp:127.0.0.1:{port}"})

        samples: list[dict[str, Any]] = []
        cancelled_by_us = False
        info: dict[str, Any] = {}
        last_ram: dict[str, Any] = {}
        last_info: dict[str, Any] = {}
        hard_deadline = t_migrate + p["timeout_s"] + 30.0
        while True:
            info = await _cmd(src, "query-migrate")
            now = time.monotonic() - t_migrate
            ram = info.get("ram", {})
            samples.append({
                "t_s": now,
                "status": info.get("status"),
                "transferred_mib": _mib(ram.get("transferred", 0)),
                "remaining_mib": _mib(ram.get("remaining", 0)),
                "dirty_sync_count": ram.get("dirty-sync-count", 0),
                "expected_downtime_ms": info.get("expected-downtime"),
                "mbps": ram.get("mbps"),
            })
            status = info.get("status")
            if status == "active" and ram:
                last_ram, last_info = dict(ram), dict(info)
            if status in ("completed", "failed", "cancelled"):
                break
            if now > p["timeout_s"] and not cancelled_by_us:
                await _cmd(src, "migrate_cancel")
                cancelled_by_us = True
            if time.monotonic() > hard_deadline:
                raise TimeoutError(f"migration still {status!r} {now:.0f} s after migrate (cancel did not finish)")
            await asyncio.sleep(p["poll_s"])
        wall_s = time.monotonic() - t_migrate
        writes1 = (await _guest_status(src))["writes"]
        status = info["status"]
        ram = info.get("ram") or {}
        if status != "completed":  # a cancelled migration reports no counters: use the last poll
            ram = last_ram
        last_active = next((s for s in reversed(samples) if s["status"] == "active"), None)

        verified, stale, stale_addrs = None, -1, ""
        if status == "completed" and p["verify"]:
            dst_status = await _guest_status(dst)
            span = (REGION_BASE_MIB + max(p["fill_mib"], p["working_set_mib"])) * MIB
            stale_at = await _stale_pages(src, dst, 0, span, tmp, timeout=60.0)
            stale = len(stale_at)
            stale_addrs = " ".join(f"{addr:#x}" for addr in stale_at[:8])
            verified = bool(stale == 0 and dst_status["writes"] == writes1)

        converged = status == "completed"
        total_ms = float(info["total-time"]) if "total-time" in info else wall_s * 1000.0
        downtime_ms = float(info["downtime"]) if converged and "downtime" in info else float("nan")
        running_s = (total_ms - (downtime_ms if converged else 0.0)) / 1000.0
        write_rate_during = _mib((writes1 - writes0) * PAGE_BYTES) / running_s if running_s > 0 else 0.0
        transferred = float(ram.get("transferred", 0))
        row = {
            # inputs
            "memory_mib": p["memory_mib"],
            "fill_mib": p["fill_mib"],
            "working_set_mib": p["working_set_mib"],
            "paced_rate_mib_s": float(p["dirty_rate_mib_s"] or 0.0),
            "max_bandwidth_mib_s": float(p["max_bandwidth_mib_s"]),
            "downtime_limit_ms": float(p["downtime_limit_ms"]),
            "timeout_s": float(p["timeout_s"]),
            # outcome
            "status": status,
            "converged": converged,
            "total_time_s": total_ms / 1000.0,
            "downtime_ms": downtime_ms,
            "setup_time_ms": float(info.get("setup-time", last_info.get("setup-time", float("nan")))),
            "transferred_mib": _mib(transferred),
            "precopy_mib": _mib(ram["precopy-bytes"]) if "precopy-bytes" in ram else float("nan"),
            "downtime_mib": _mib(ram["downtime-bytes"]) if "downtime-bytes" in ram else float("nan"),
            "ram_total_mib": _mib(ram.get("total", 0)),
            "normal_pages": int(ram.get("normal", 0)),
            "zero_pages": int(ram.get("duplicate", 0)),
            "dirty_sync_count": int(ram.get("dirty-sync-count", 0)),
            "achieved_bandwidth_mib_s": _mib(transferred) / (total_ms / 1000.0) if total_ms > 0 else float("nan"),
            "last_mbps": float(ram.get("mbps", float("nan"))),
            "expected_downtime_ms": float(last_active["expected_downtime_ms"])
            if last_active and last_active["expected_downtime_ms"] is not None else float("nan"),
            "guest_write_rate_mib_s": write_rate_during,
            "guest_write_rate_before_mib_s": write_rate_before,
            "memory_verified": verified,
            "stale_pages": stale,
            "stale_page_addrs": stale_addrs,
            # conditions
            "boot_fill_s": boot_s,
            "load_1min": round(max(load_start, load_mid), 2),
            "cpus": os.cpu_count(),
            "qemu_version": qemu_ver,
            "accel": "tcg",
            "measured_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        return MeasuredMigration(row=row, samples=pd.DataFrame(samples))
    finally:
        for client in (src, dst):
            if client is not None:
                try:
                    await asyncio.wait_for(client.disconnect(), timeout=5)
                except BaseException:  # noqa: BLE001 - the processes are killed next anyway
                    pass


def _run_blocking(p: dict[str, Any]) -> MeasuredMigration:
    procs = _Processes()
    tmp = Path(tempfile.mkdtemp(prefix="vmlab-qemu-"))
    overall = p["boot_timeout_s"] + p["warmup_s"] + p["timeout_s"] + 120.0
    try:
        async def bounded():
            return await asyncio.wait_for(_run(p, procs, tmp), timeout=overall)

        result = asyncio.run(bounded())
        serial = (tmp / "serial.log").read_text(errors="replace") if (tmp / "serial.log").exists() else ""
        return MeasuredMigration(row=result.row, samples=result.samples, serial=serial)
    finally:
        procs.kill_all()
        if not os.environ.get("VMLAB_QEMU_KEEP_TMP"):
            shutil.rmtree(tmp, ignore_errors=True)


def run_migration(
    *,
    memory_mib: int = 128,
    fill_mib: int = 64,
    working_set_mib: int = 0,
    dirty_rate_mib_s: float | None = None,
    max_bandwidth_mib_s: float = 32.0,
    downtime_limit_ms: float = 300.0,
    timeout_s: float = 20.0,
    verify: bool = True,
    poll_s: float = 0.1,
    warmup_s: float = 0.5,
    boot_timeout_s: float = 60.0,
) -> MeasuredMigration:
    """Live-migrate the test guest between two local QEMU processes and measure the run.

    Parameters
    ----------
    memory_mib : int
        Guest RAM (``-m``), MiB, 16-4096.
    fill_mib : int
        MiB of RAM (from 4 MiB up) the guest fills with non-zero data before the migration; the
        rest of RAM stays zero pages (QEMU sends those as ~9-byte headers).
    working_set_mib : int
        MiB (from 4 MiB up, overlapping the filled region) whose pages the guest keeps
        rewriting, one byte per 4 KiB page, in order. 0 = an idle guest. Under TCG, QEMU 7.2 can
        miss dirty pages of working sets below ~4 MiB (fixed upstream in 9.0): use 0 or >= 4.
    dirty_rate_mib_s : float or None
        Page-write pacing (MiB of pages written per second); None or 0 = as fast as the CPU
        goes (a TCG guest rewrites a hot working set every few milliseconds).
    max_bandwidth_mib_s : float
        QEMU ``max-bandwidth`` (MiB/s): the rate cap of the pre-copy rounds.
    downtime_limit_ms : float
        QEMU ``downtime-limit`` (ms).
    timeout_s : float
        Cancel (``migrate_cancel``) a migration still running after this long: QEMU never
        gives up by itself. A cancelled run has ``converged = False``.
    verify : bool
        After a completed run, check that the destination's memory (the first
        ``4 + max(fill, working set)`` MiB) and the guest's write counter equal the source's.
    poll_s, warmup_s, boot_timeout_s : float
        ``query-migrate`` polling period; how long the guest's write rate is measured before
        migrating; limit on QEMU start-up plus the guest's fill.

    Returns
    -------
    MeasuredMigration
        ``.row`` (tidy dict: inputs, ``status``, ``converged``, ``total_time_s``,
        ``downtime_ms``, ``setup_time_ms``, ``transferred_mib``, ``normal_pages``,
        ``zero_pages``, ``dirty_sync_count``, ``achieved_bandwidth_mib_s``,
        ``guest_write_rate_mib_s``, ``qemu_version``, load, ...) and ``.samples`` (the 100 ms
        polls). Row entries are also attributes: ``run.converged``.

    Raises
    ------
    QemuUnavailable
        When QEMU or ``gcc -m32`` is missing (see :func:`missing_tools`).
    ValueError, TypeError
        For parameters out of range.

    Examples
    --------
    >>> run = run_migration(memory_mib=64, fill_mib=16)  # doctest: +SKIP
    >>> run.converged, round(run.transferred_mib)         # doctest: +SKIP
    (True, 17)
    """
    memory = int(check_number("run_migration.memory_mib", memory_mib, minimum=16, maximum=4096))
    fill = int(check_number("run_migration.fill_mib", fill_mib, minimum=0, maximum=memory - REGION_BASE_MIB))
    ws = int(check_number("run_migration.working_set_mib", working_set_mib, minimum=0,
                          maximum=memory - REGION_BASE_MIB))
    rate = check_number("run_migration.dirty_rate_mib_s", dirty_rate_mib_s, minimum=0, maximum=100_000,
                        allow_none=True)
    params = {
        "memory_mib": memory,
        "fill_mib": fill,
        "working_set_mib": ws,
        "dirty_rate_mib_s": rate or 0.0,
        "max_bandwidth_mib_s": check_number("run_migration.max_bandwidth_mib_s", max_bandwidth_mib_s,
                                            minimum=1, maximum=100_000),
        "downtime_limit_ms": check_number("run_migration.downtime_limit_ms", downtime_limit_ms,
                                          minimum=1, maximum=600_000),
        "timeout_s": check_number("run_migration.timeout_s", timeout_s, minimum=0.5, maximum=3600),
        "verify": check_bool("run_migration.verify", verify),
        "poll_s": check_number("run_migration.poll_s", poll_s, minimum=0.01, maximum=5),
        "warmup_s": check_number("run_migration.warmup_s", warmup_s, minimum=0.05, maximum=60),
        "boot_timeout_s": check_number("run_migration.boot_timeout_s", boot_timeout_s, minimum=1, maximum=600),
    }
    missing = missing_tools()
    if missing:
        raise QemuUnavailable("cannot run a real migration: missing " + "; ".join(missing))
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_blocking(params)
    # Inside Jupyter an event loop is already running: run ours in a worker thread.
    box: dict[str, Any] = {}

    def worker() -> None:
        try:
            box["result"] = _run_blocking(params)
        except BaseException as err:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = err

    thread = threading.Thread(target=worker, name="vmlab-qemu-migration", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["result"]
