"""``vmlab sweep`` end to end on a tiny fixture notebook: real kernels, workers, Dask, kill, Ctrl-C.

Each case starts a fresh kernel (about 1-2 s on a quiet machine), so the grids have three to five
cases.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from vmlab.sweep import read_sweep, run_sweep
from vmlab.sweep.execute import WIDGET_MIMES

pytestmark = [pytest.mark.notebooks, pytest.mark.timeout(240)]

FIXTURES = Path(__file__).parent / "fixtures"
NOTEBOOK = FIXTURES / "sweep_fixture.ipynb"
GRID = FIXTURES / "sweep_grid.yaml"  # STEPS 1, 0, 3 with RATE_MIB_S 2.5; STEPS 0 fails on purpose
ROOT = Path(__file__).resolve().parents[1]
IDS = ["steps=1", "steps=0", "steps=3"]


def _comparable(table):
    """The table without timings (which differ between runs)."""
    return json.loads(table.drop(columns=["duration_s"]).to_json(orient="records"))  # NaN -> None


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "sweep"
    return run_sweep(NOTEBOOK, GRID, out, workers=1, progress=False, echo=None)


def test_serial_sweep_collects_the_expected_table(serial):
    table = serial.table
    assert list(table["case_id"]) == IDS
    assert list(table["status"]) == ["ok", "failed", "ok"]
    assert list(table.columns) == [
        "case_id", "RATE_MIB_S", "STEPS", "LABEL", "sent_mib", "label", "big", "status", "duration_s", "error",
    ]
    ok = table[table["status"] == "ok"]
    assert list(ok["sent_mib"]) == [2.5, 7.5]  # RATE_MIB_S * STEPS, computed in the notebook
    assert list(ok["label"]) == ["fixture", "fixture"] and list(ok["big"]) == [False, True]
    failed = table[table["status"] == "failed"].iloc[0]
    assert "ValueError: STEPS must be at least 1, got 0" in failed["error"]
    assert (table["duration_s"] > 0).all()
    assert (serial.ok, serial.failed, serial.ran, serial.pending, serial.interrupted) == (2, 1, 3, 0, False)
    # results.csv is the same table, and read_sweep rebuilds it from the case records
    import pandas as pd

    csv = pd.read_csv(serial.out / "results.csv", keep_default_na=False)
    assert list(csv["case_id"]) == IDS and list(csv["status"]) == ["ok", "failed", "ok"]
    assert _comparable(read_sweep(serial.out)) == _comparable(table)


def test_each_case_is_an_executed_notebook_without_widget_state(serial):
    runs = serial.out / "runs"
    for cid in IDS:
        nb = nbformat.read(str(runs / f"{cid}.ipynb"), as_version=4)
        assert "widgets" not in nb.metadata
        text = (runs / f"{cid}.ipynb").read_text()
        assert not any(mime in text for mime in WIDGET_MIMES)
        record = json.loads((runs / f"{cid}.json").read_text())
        assert record["case_id"] == cid and record["status"] in ("ok", "failed")
    # the slider was displayed (its text fallback is kept), and papermill injected the parameters
    ok = nbformat.read(str(runs / "steps=3.ipynb"), as_version=4)
    slider = [o for c in ok.cells for o in c.get("outputs", []) if "IntSlider" in str(o.get("data", {}).get("text/plain", ""))]
    assert slider
    injected = [c for c in ok.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert "STEPS = 3" in injected[0].source
    failed = json.loads((runs / "steps=0.json").read_text())
    assert "ValueError" in failed["traceback"]


def test_a_finished_sweep_reruns_nothing_and_retry_failed_reruns_only_failures(serial):
    before = {p.name: p.read_text() for p in (serial.out / "runs").glob("*.json")}
    again = run_sweep(NOTEBOOK, GRID, serial.out, progress=False, echo=None)
    assert (again.ran, again.skipped) == (0, 3)
    assert {p.name: p.read_text() for p in (serial.out / "runs").glob("*.json")} == before
    retried = run_sweep(NOTEBOOK, GRID, serial.out, retry_failed=True, progress=False, echo=None)
    assert (retried.ran, retried.skipped, retried.failed) == (1, 2, 1)
    after = {p.name: p.read_text() for p in (serial.out / "runs").glob("*.json")}
    assert [n for n in after if after[n] != before[n]] == ["steps=0.json"]


def test_dask_local_cluster_gives_the_same_table(serial, tmp_path):
    distributed = pytest.importorskip("distributed")
    # Worker processes, as on a real cluster: a threaded in-process worker shares this test
    # process's asyncio state with whatever ran before it under xdist (seen: "This event loop is
    # already running" inside nbclient when a browser test had run in the same process).
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None
    ) as cluster:
        summary = run_sweep(NOTEBOOK, GRID, tmp_path / "dask", scheduler=cluster.scheduler_address,
                            progress=False, echo=None)
    assert _comparable(summary.table) == _comparable(serial.table)
    assert (tmp_path / "dask" / "runs" / "steps=3.ipynb").exists()


def _sweep_cli(out: Path, *extra: str) -> subprocess.Popen:
    grid = out.parent / "slow.yaml"
    grid.write_text("grid:\n  STEPS: [1, 2, 3, 4, 5]\nfixed:\n  RATE_MIB_S: 2.5\n  LABEL: fixture\n  SLEEP_S: 1.0\n")
    log = open(out.parent / "sweep.log", "w")  # a file, not a pipe: no deadlock on a killed parent
    return subprocess.Popen(
        [sys.executable, "-m", "vmlab", "sweep", str(NOTEBOOK), "--grid", str(grid), "--out", str(out), "--quiet", *extra],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,  # its own process group, like a terminal job
    )


def _log(out: Path) -> str:
    return (out.parent / "sweep.log").read_text()


def _records(out: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in (out / "runs").glob("*.json")} if (out / "runs").is_dir() else {}


def _wait_for_records(out: Path, n: int, process: subprocess.Popen, limit_s: float = 150) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if len(_records(out)) >= n:
            return
        assert process.poll() is None, _log(out)
        time.sleep(0.2)
    raise AssertionError(f"fewer than {n} cases finished in {limit_s} s")


def _descendants(pid: int) -> list:
    psutil = pytest.importorskip("psutil")
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _still_running(processes, limit_s: float = 20) -> list:
    psutil = pytest.importorskip("psutil")
    _gone, alive = psutil.wait_procs(processes, timeout=limit_s)
    return alive


def test_ctrl_c_then_kill_then_resume_runs_only_the_missing_cases(tmp_path):
    out = tmp_path / "sweep"

    # 1. Ctrl-C (SIGINT to the whole process group, as a terminal does) stops cleanly
    first = _sweep_cli(out, "--workers", "2")
    _wait_for_records(out, 1, first)
    children = _descendants(first.pid)
    assert children  # worker processes and kernels are running
    os.killpg(first.pid, signal.SIGINT)
    first.wait(timeout=90)
    log = _log(out)
    assert first.returncode == 130, log
    assert "interrupted" in log and "Traceback" not in log, log
    assert _still_running(children) == []  # no worker or kernel left behind
    after_ctrl_c = _records(out)
    table = read_sweep(out)
    assert 1 <= len(table) == len(after_ctrl_c) < 5 and set(table["status"]) == {"ok"}
    assert (out / "results.csv").read_text().count("\n") == len(table) + 1

    # 2. re-run, then kill -9 (no clean-up at all) after one more case
    second = _sweep_cli(out, "--workers", "2")
    _wait_for_records(out, len(after_ctrl_c) + 1, second)
    children = _descendants(second.pid)
    os.kill(second.pid, signal.SIGKILL)
    second.wait(timeout=30)
    assert f"{len(after_ctrl_c)} done earlier" in _log(out)
    assert _still_running(children) == []  # orphaned workers notice; their kernels go with them
    after_kill = _records(out)
    assert len(after_ctrl_c) < len(after_kill) < 5
    assert {k: after_kill[k] for k in after_ctrl_c} == after_ctrl_c  # finished cases untouched

    # 3. resume: only the missing cases run; nothing finished is run again
    resumed = run_sweep(NOTEBOOK, out.parent / "slow.yaml", out, workers=2, progress=False, echo=None)
    assert (resumed.ran, resumed.skipped) == (5 - len(after_kill), len(after_kill))
    assert (resumed.ok, resumed.failed, resumed.pending) == (5, 0, 0)
    assert {k: v for k, v in _records(out).items() if k in after_kill} == after_kill
    assert list(resumed.table["sent_mib"]) == [2.5, 5.0, 7.5, 10.0, 12.5]
