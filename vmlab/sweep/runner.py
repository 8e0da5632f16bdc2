"""Plan and run a sweep: local worker processes or a Dask cluster, resumable, Ctrl-C safe.

The main process plans (grid checked against the notebook before anything runs), hands cases
to workers, and is the only writer of ``DIR``: each finished case's executed notebook and then
its record (``runs/<case-id>.json``, the "done" marker) are renamed into place as soon as the
case comes back, so a sweep killed at any moment keeps every finished case and a re-run only
runs what is missing.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vmlab.results import RESULTS_TAG
from vmlab.sweep.execute import record_json, run_case
from vmlab.sweep.grid import Case, Grid, GridError, ParameterSpec, expand_cases, load_grid, notebook_parameters
from vmlab.sweep.store import (
    LOGS,
    RUNS,
    SweepError,
    atomic_write,
    clear_owned,
    notebook_fingerprint,
    read_manifest,
    read_records,
    results_table,
    write_manifest,
    write_results_csv,
)

__all__ = ["SweepPlan", "SweepSummary", "plan_sweep", "run_sweep", "connect", "run_tasks"]

DEFAULT_TIMEOUT_S = 600.0
"""Default limit for one cell of one case, in seconds (a hung case must not block a worker)."""
_CSV_EVERY_S = 2.0


@dataclass(frozen=True)
class SweepPlan:
    """A checked sweep: the notebook, its parameters and the cases to run (nothing run yet)."""

    notebook: Path
    notebook_json: str
    fingerprint: str
    specs: dict[str, ParameterSpec]
    cases: list[Case]
    varying: list[str]
    has_results: bool
    kernel_name: str
    description: str = ""
    metrics: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SweepSummary:
    """What a sweep did. ``table`` is the content of ``results.csv`` (finished cases only)."""

    out: Path
    total: int
    skipped: int
    ran: int
    ok: int
    failed: int
    pending: int
    interrupted: bool
    elapsed_s: float
    table: Any = field(repr=False)

    def __str__(self) -> str:
        text = (
            f"{self.ok} ok, {self.failed} failed of {self.total} cases "
            f"({self.ran} run now, {self.skipped} kept from before) in {self.elapsed_s:.1f} s; "
            f"table: {self.out / 'results.csv'}"
        )
        if self.pending:
            text += f"\n{self.pending} cases not run yet: run the same command again to finish them"
        return text


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def plan_sweep(
    notebook: str | Path,
    grid: str | Path | Grid | None = None,
    parameters: Mapping[str, Sequence[str]] | None = None,
    kernel_name: str | None = None,
) -> SweepPlan:
    """Check a grid (a file, a :class:`Grid`, or None) and ``-p`` values against the notebook.

    Raises :class:`~vmlab.sweep.grid.GridError` naming every bad parameter or value; the
    returned plan lists the cases in run order with their ids.
    """
    import nbformat

    notebook = Path(notebook)
    if grid is None and not parameters:
        raise GridError("nothing to sweep: give --grid GRID.yaml and/or -p NAME VALUE")
    specs = notebook_parameters(notebook)
    grid_obj = grid if isinstance(grid, Grid) else (load_grid(grid) if grid is not None else Grid(source="-p"))
    warnings = []
    if grid_obj.notebook is not None and grid_obj.notebook.name != notebook.name:
        warnings.append(f"{grid_obj.source} says it is for {grid_obj.notebook.name}, but the notebook is {notebook.name}")
    cases = expand_cases(grid_obj, specs, parameters)
    nb = nbformat.read(str(notebook), as_version=4)
    has_results = any(
        c.cell_type == "code" and RESULTS_TAG in c.metadata.get("tags", []) for c in nb.cells
    )
    if not has_results:
        warnings.append(
            f"{notebook.name} has no cell tagged 'results': results.csv will only hold parameters and status"
        )
    kernel = kernel_name or nb.metadata.get("kernelspec", {}).get("name") or "python3"
    varying = [
        n for n in specs if len({json.dumps(c.parameters.get(n), sort_keys=True) for c in cases}) > 1
    ]
    return SweepPlan(
        notebook=notebook,
        notebook_json=nbformat.writes(nb),
        fingerprint=notebook_fingerprint(nb),
        specs=specs,
        cases=cases,
        varying=varying,
        has_results=has_results,
        kernel_name=kernel,
        description=grid_obj.description,
        metrics=grid_obj.metrics,
        warnings=warnings,
    )


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _prepare_out(out: Path, plan: SweepPlan, force: bool) -> dict[str, dict[str, Any]]:
    """Create or reopen ``out``; return the finished records of this plan's cases."""
    if out.exists() and not out.is_dir():
        raise SweepError(f"--out {out} is a file; give a folder")
    manifest = read_manifest(out) if out.is_dir() else None
    if force and out.is_dir():
        clear_owned(out)
        manifest = None
    elif manifest is None and out.is_dir() and any(out.iterdir()):
        raise SweepError(
            f"{out} is not empty and holds no vmlab sweep (no sweep.json); choose a new or empty "
            "folder, or pass --force to write the sweep there anyway"
        )
    if manifest is not None and manifest.get("notebook_fingerprint") != plan.fingerprint:
        raise SweepError(
            f"{out} holds a sweep of a different version of {manifest.get('notebook_name', 'the notebook')} "
            "(its cells changed since); its results would not mix with new ones. Use a new --out "
            "folder, or pass --force to delete the old runs and start over"
        )
    records = read_records(out, [c.case_id for c in plan.cases])
    conflicts = [
        cid for cid, rec in records.items()
        if not _same(rec.get("parameters"), next(c.parameters for c in plan.cases if c.case_id == cid))
    ]
    if conflicts:
        raise SweepError(
            f"{out} already has {len(conflicts)} case(s) with the same id but other parameters "
            f"(e.g. {conflicts[0]!r}: a fixed value changed?). Use a new --out folder, or --force to start over"
        )
    (out / RUNS).mkdir(parents=True, exist_ok=True)
    write_manifest(
        out,
        {
            "vmlab_sweep": 1,
            "notebook_name": plan.notebook.name,
            "notebook": str(plan.notebook.resolve()),
            "notebook_fingerprint": plan.fingerprint,
            "description": plan.description,
            "metrics": plan.metrics,
            "varying": plan.varying,
            "cases": [{"case_id": c.case_id, "parameters": c.parameters} for c in plan.cases],
            **({"created_at": manifest["created_at"]} if manifest and "created_at" in manifest else {}),
        },
    )
    return records


def run_sweep(
    notebook: str | Path,
    grid: str | Path | Grid | None = None,
    out: str | Path = "sweep-out",
    *,
    parameters: Mapping[str, Sequence[str]] | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    force: bool = False,
    retry_failed: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT_S,
    kernel_name: str | None = None,
    progress: bool = True,
    echo: Callable[[str], None] | None = _stderr,
) -> SweepSummary:
    """Run ``notebook`` once per case of ``grid`` into ``out``; return a :class:`SweepSummary`.

    Parameters
    ----------
    notebook, grid : path
        The notebook and the grid file (or a :class:`~vmlab.sweep.grid.Grid`).
    out : path
        The sweep folder (see :mod:`vmlab.sweep.store`). Re-running into the same folder runs
        only the cases that have no record yet; a grid with added values runs only the new
        cases (records of cases no longer in the grid stay in ``runs/`` but leave the table).
        A folder holding a sweep of other notebook cells, or a record with the same case id
        but other parameters, is refused unless ``force``.
    parameters : mapping of name -> list of str
        ``-p NAME VALUE`` values (one value pins a parameter, several make it an axis).
    workers : int
        Kernels at once on this machine (each case in a worker process).
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://host:8786``); the cases run there instead.
    force : bool
        Delete what an earlier sweep wrote in ``out`` and start over.
    retry_failed : bool
        Run the cases recorded as failed again (finished ``ok`` cases are never re-run).
    timeout : float or None
        Seconds one cell may run before its case fails.

    A KeyboardInterrupt (Ctrl-C) stops the workers, keeps the finished cases and returns a
    summary with ``interrupted=True``.
    """
    started = time.perf_counter()
    say = echo or (lambda _message: None)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a whole number >= 1, got {workers!r}")
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be > 0 seconds or None, got {timeout!r}")
    plan = plan_sweep(notebook, grid, parameters, kernel_name)  # raises before anything is written
    # The results table needs pandas; import it now, before any case runs. Imported lazily inside
    # the loop, a Ctrl-C could land in the middle of that first import and leave pandas half
    # initialised, so the final table (written after the interrupt) would fail.
    import pandas  # noqa: F401
    out = Path(out)
    for warning in plan.warnings:
        say(f"warning: {warning}")
    client = _dask_client(scheduler) if scheduler else None  # unreachable: fail before writing
    try:
        records = _prepare_out(out, plan, force)
    except BaseException:
        if client is not None:
            client.close()
        raise
    finished = {cid: r for cid, r in records.items() if r["status"] == "ok" or not retry_failed}
    todo = [c for c in plan.cases if c.case_id not in finished]
    manifest_cases = [{"case_id": c.case_id, "parameters": c.parameters} for c in plan.cases]
    where = f"Dask scheduler {scheduler}" if scheduler else f"{workers} local worker{'s' * (workers > 1)}"
    say(
        f"sweep {plan.notebook.name}: {len(plan.cases)} cases, {len(finished)} done earlier, "
        f"{len(todo)} to run on {where} -> {out}"
    )
    ran = 0
    interrupted = False
    last_csv = 0.0
    bar = _progress(len(todo), plan.notebook.stem, progress)
    failed_now = 0
    try:
        if client is not None and not todo:
            client.close()
        if todo:
            tasks = [_task(plan, case, timeout) for case in todo]
            backend = _dask_results(tasks, client) if client is not None else _local_results(tasks, workers, out / LOGS)
            try:
                for record in backend:
                    _persist(out, record)
                    records[record["case_id"]] = record  # a retried failure is replaced here
                    ran += 1
                    failed_now += record["status"] == "failed"
                    if bar is not None:
                        bar.set_postfix_str(f"failed={failed_now}", refresh=False)
                        bar.update(1)
                    if time.monotonic() - last_csv > _CSV_EVERY_S:
                        write_results_csv(out, results_table(manifest_cases, records))
                        last_csv = time.monotonic()
            finally:
                backend.close()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if bar is not None:
            bar.close()
        table = results_table(manifest_cases, records)
        write_results_csv(out, table)
    n_ok = int((table["status"] == "ok").sum()) if len(table) else 0
    summary = SweepSummary(
        out=out,
        total=len(plan.cases),
        skipped=len(plan.cases) - len(todo),
        ran=ran,
        ok=n_ok,
        failed=len(table) - n_ok,
        pending=len(plan.cases) - len(table),
        interrupted=interrupted,
        elapsed_s=time.perf_counter() - started,
        table=table,
    )
    if interrupted:
        say(f"interrupted: {len(table)} of {len(plan.cases)} cases finished and kept")
    say(str(summary))
    return summary


def _progress(total: int, name: str, enabled: bool):
    if not enabled or total == 0:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=name, unit="case", file=sys.stderr, dynamic_ncols=True, postfix="failed=0")


def _task(plan: SweepPlan, case: Case, timeout: float | None) -> dict[str, Any]:
    return {
        "case_id": case.case_id,
        "parameters": case.parameters,
        "notebook_json": plan.notebook_json,
        "notebook_name": plan.notebook.name,
        "cwd": str(plan.notebook.resolve().parent),
        "kernel_name": plan.kernel_name,
        "timeout": timeout,
        "expect_results": plan.has_results,
    }


def _persist(out: Path, record: dict[str, Any]) -> None:
    """Executed notebook first, then the record: the record is the 'case done' marker."""
    runs = out / RUNS
    if record.get("executed_json"):
        atomic_write(runs / f"{record['case_id']}.ipynb", record["executed_json"])
    atomic_write(runs / f"{record['case_id']}.json", record_json(record))


def _failed_record(task: dict[str, Any], error: str) -> dict[str, Any]:
    return {
        "case_id": task["case_id"],
        "parameters": task["parameters"],
        "status": "failed",
        "results": {},
        "error": error,
        "traceback": "",
        "duration_s": None,
        "executed_json": None,
    }


def connect(address: str):
    """A Dask client for ``address``; raises :class:`SweepError` when it cannot be reached in time."""
    return _dask_client(address)


def run_tasks(tasks: list[dict[str, Any]], *, workers: int = 1, client=None, log_dir: str | Path) -> Iterator[dict[str, Any]]:
    """Run :func:`~vmlab.sweep.execute.run_case` tasks as the sweep does; yield each record as it finishes.

    On ``workers`` local processes (kernel output to ``log_dir``), or on the Dask cluster of
    ``client`` (closed when done). Close the returned generator to stop what still runs.
    ``vmlab grade`` runs its submissions through this.
    """
    if not tasks:
        if client is not None:
            client.close()
        return (record for record in ())
    if client is not None:
        return _dask_results(tasks, client)
    return _local_results(tasks, workers, Path(log_dir))


# --------------------------------------------------------------------------- local workers
def _process_gone(pid: int) -> bool:
    """True when ``pid`` has exited (a zombie waiting for its parent counts as exited)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False


class _Terminated(BaseException):
    """Raised in a worker by SIGTERM: unwinds papermill (which shuts its kernel down)."""


_IN_CASE = False


def _run_case_in_worker(task: dict[str, Any]) -> dict[str, Any]:
    """:func:`run_case` in a local worker process; a SIGTERM ends the process after clean-up.

    (The executor would send any exception back to the sweep, even ``SystemExit``, and keep
    the worker alive; a terminated worker must really go.)
    """
    global _IN_CASE
    _IN_CASE = True
    try:
        return run_case(task)
    except _Terminated:
        os._exit(143)
    finally:
        _IN_CASE = False


def _worker_init(log_dir: str, sweep_pid: int) -> None:
    """Worker process set-up: Ctrl-C is the main process's job; SIGTERM cleans up the kernel."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def terminate(_signum, _frame):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the process outright
        if not _IN_CASE:
            os._exit(143)  # idle: no kernel to shut down
        raise _Terminated()

    signal.signal(signal.SIGTERM, terminate)

    # A killed sweep must not leave workers (and their kernels) behind. The worker's parent is
    # the forkserver, which itself only exits after its workers, so watch the sweep process.
    def watch_sweep() -> None:
        while not _process_gone(sweep_pid):
            time.sleep(0.5)
        # to the main thread, so that a blocking call there is interrupted and the handler runs
        if hasattr(signal, "pthread_kill"):
            signal.pthread_kill(threading.main_thread().ident, signal.SIGTERM)
        else:  # pragma: no cover - not POSIX
            os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5.0)
        os._exit(143)  # still here: leave anyway (the kernel's own parent poller ends it)

    threading.Thread(target=watch_sweep, daemon=True, name="vmlab-sweep-watch").start()

    os.makedirs(log_dir, exist_ok=True)
    log = os.open(os.path.join(log_dir, f"worker-{os.getpid()}.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(log, 1)  # kernels inherit these: their start-up chatter goes to DIR/logs, not the bar
    os.dup2(log, 2)
    os.close(log)


def _mp_context():
    """A forkserver that imports papermill once (about 3 s of CPU) for every worker; else spawn.

    Never plain fork: the main process may run threads (tqdm, Dask) by then.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["vmlab.sweep.execute", "papermill", "nbclient", "nbformat"])
        return context
    return multiprocessing.get_context("spawn")


def _local_results(tasks: list[dict[str, Any]], workers: int, log_dir: Path) -> Iterator[dict[str, Any]]:
    executor = ProcessPoolExecutor(
        max_workers=min(workers, len(tasks)),
        mp_context=_mp_context(),
        initializer=_worker_init,
        initargs=(str(log_dir), os.getpid()),
    )
    futures = {executor.submit(_run_case_in_worker, task): task for task in tasks}
    clean = False
    try:
        for future in as_completed(futures):
            try:
                yield future.result()
            except BrokenProcessPool as exc:
                raise SweepError(
                    "a worker process died (out of memory?); the finished cases are kept, run the "
                    f"same command again to resume ({exc})"
                ) from exc
            except Exception as exc:  # run_case itself broke: record it, go on
                yield _failed_record(futures[future], f"{type(exc).__name__}: {exc}")
        clean = True
    finally:
        if clean:
            executor.shutdown(wait=True)
        else:
            _stop_executor(executor)


def _stop_executor(executor: ProcessPoolExecutor, grace_s: float = 10.0) -> None:
    """Cancel queued cases and end running ones (their kernels are shut down by the workers)."""
    # Python < 3.14 has no public way to stop running workers: use the executor's process table.
    processes = list(getattr(executor, "_processes", {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + grace_s
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(1.0)


# --------------------------------------------------------------------------- Dask
DASK_CONNECT_TIMEOUT_S = 15.0
"""How long to try reaching a Dask scheduler before giving up (nothing is written by then)."""


def _dask_client(address: str):
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - distributed is a dependency
        raise SweepError("--scheduler needs the 'distributed' package") from exc
    try:
        return Client(address, timeout=DASK_CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SweepError(
            f"cannot reach the Dask scheduler at {address!r} within {DASK_CONNECT_TIMEOUT_S:g} s: {exc}"
        ) from exc


def _dask_results(tasks: list[dict[str, Any]], client) -> Iterator[dict[str, Any]]:
    from distributed import as_completed as dask_completed

    token = uuid.uuid4().hex[:8]
    futures = {}
    try:
        for task in tasks:
            future = client.submit(run_case, task, key=f"vmlab-sweep-{task['case_id']}-{token}", pure=False)
            futures[future] = task
        for future in dask_completed(list(futures), loop=client.loop):
            try:
                yield future.result()
            except Exception as exc:  # e.g. KilledWorker: the case failed, the sweep goes on
                yield _failed_record(futures[future], f"{type(exc).__name__} on the Dask cluster: {exc}")
    finally:
        unfinished = [f for f in futures if not f.done()]
        if unfinished:
            client.cancel(unfinished)
        client.close()
