"""Explorer latency in a real browser: key press -> the plotly figure's DOM update, and where it goes.

Every explorer notebook (``notebooks/NN_*.ipynb`` with a code cell tagged ``explorer``) is measured
in JupyterLab and as a Voila app (the site ``make app`` serves), in one run, after the browser
tests' minimal fixture (``tests/browser/fixtures/fixture_explorer.ipynb``: one FloatSlider, one
FigureWidget with one 101-point trace).  The fixture is the *framework's floor*: what a key press
costs in Chromium + ipywidgets + the Jupyter server + ipykernel + plotly.js with next to no model
and next to no data; an explorer cannot be faster than it.

For each notebook: run it, focus the explorer's first slider and press an arrow key ``--moves``
times (reversing where the figure stops changing), one press at a time.  Per press:

- **latency**: ``performance.now()`` at the ``keydown`` -> the first DOM mutation inside the
  explorer's plotly figure;
- **kernel**: on the kernel's own clock (message header dates), ``busy`` for the slider's
  ``comm_msg`` -> the reply the figure redrew from (the explorer's callback computing and
  sending the figure update, plus ipywidgets' message handling before it);
- **bytes**: the websocket bytes of the ``comm_msg`` frames the page receives for the press (the
  figure update, the readout, the slider echo);
- **redraw**: the last ``comm_msg`` frame received before the figure's first mutation -> that
  mutation (front end: deserialising, plotly.js);
- **wire**: the rest, latency - kernel - redraw (key handling, the message's trip through the
  server both ways, queuing).

Prints median and 90th percentile per explorer and each part, each also as a ratio against the
fixture's median in the same front end; goal per explorer: median <= 100 ms, p90 <= 150 ms.
Needs Debian's Chromium (``apt-get install chromium``).  Usage, from the repository root::

    .venv/bin/python benchmarks/bench_browser_latency.py [--moves 20] [--only lab|voila] [names ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser import harness  # noqa: E402
from vmlab import app  # noqa: E402

GOAL_MEDIAN_MS = 100.0
GOAL_P90_MS = 150.0
QUIET_MS = 250  # a press is over when the figure has been quiet this long
DETAIL = False  # --detail: break each update's payload down by widget state key (costs page time)

# Watches the figure: the time of the last keydown and of each first mutation after it.
INSTRUMENT_JS = """
(plot) => {
  const st = {t0: 0, armed: false, key: [], dom: [], last: performance.now()};
  window.__vmlabLatency = st;
  document.addEventListener('keydown', () => { st.t0 = performance.now(); st.armed = true; st.key.push(st.t0); }, true);
  new MutationObserver(() => {
    const now = performance.now();
    st.last = now;
    if (st.armed) { st.dom.push([st.t0, now]); st.armed = false; }
  }).observe(plot, {subtree: true, childList: true, attributes: true, characterData: true});
}
"""

# The figure's size as plotly.js holds it: traces, and points over all of them.
FIGURE_SIZE_JS = "(p) => [p.data.length, p.data.reduce((n, t) => n + ((t.x || t.y || t.values || []).length || 0), 0)]"


def _stamp(date: str) -> float:
    return datetime.fromisoformat(date.replace("Z", "+00:00")).timestamp()


def _kernel_ms(frames: list[dict], sent_ids: set[str], reply: dict | None) -> float:
    """Kernel time on the critical path, on the kernel's own clock: ``busy`` for the slider's
    message -> the header date of the ``reply`` the figure redrew from (or -> ``idle``)."""
    busy = [_stamp(f["date"]) for f in frames if f["dir"] == "received" and f.get("type") == "status"
            and f.get("state") == "busy" and f.get("parent") in sent_ids and f.get("date")]
    if not busy:
        return float("nan")
    if reply is not None and reply.get("date"):
        return 1000 * (_stamp(reply["date"]) - min(busy))
    idle = [_stamp(f["date"]) for f in frames if f["dir"] == "received" and f.get("type") == "status"
            and f.get("state") == "idle" and f.get("parent") in sent_ids and f.get("date")]
    return 1000 * (max(idle) - min(busy)) if idle else float("nan")


@dataclass
class Press:
    latency_ms: float
    kernel_ms: float
    redraw_ms: float
    wire_ms: float
    bytes_received: int


@dataclass
class Run:
    presses: list[Press] = field(default_factory=list)
    unchanged: int = 0
    traces: int = 0
    points: int = 0
    payload: dict[str, float] = field(default_factory=dict)  # with --detail: JSON chars per update, by key

    def column(self, name: str) -> np.ndarray:
        return np.asarray([getattr(p, name) for p in self.presses], dtype=float)


def measure(page, scope, moves: int) -> Run:
    """Press an arrow key ``moves`` times on the first slider in ``scope``; see the module docstring."""
    handle = harness.slider_handle(scope)
    plot = scope.locator(".js-plotly-plot").first
    handle.scroll_into_view_if_needed()
    plot.evaluate(INSTRUMENT_JS)
    handle.focus()
    run = Run()
    key, changed = harness.arrow_for(handle), True
    for _ in range(moves):
        page.wait_for_function(f"() => performance.now() - window.__vmlabLatency.last > {QUIET_MS}", timeout=30_000)
        before = harness.figure_signature(plot)
        start = page.evaluate("() => performance.now()")
        if harness.arrow_for(handle) != key and handle.get_attribute("aria-valuenow") in (
            handle.get_attribute("aria-valuemax"), handle.get_attribute("aria-valuemin")
        ):
            key = harness.arrow_for(handle)  # at an end: turn round
        page.keyboard.press(key)
        try:
            harness.wait_figure_changed(page, plot, before, timeout_ms=3_000)
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: this value draws the same figure
            run.unchanged += 1
            page.evaluate("() => { window.__vmlabLatency.armed = false; }")
            if changed:  # the figure stopped changing (a flat stretch): go back the way we came
                key = "ArrowLeft" if key == "ArrowRight" else "ArrowRight"
            changed = False
            continue
        changed = True
        page.wait_for_function(f"() => window.__vmlabLatency.dom.some(d => d[0] >= {start})", timeout=30_000)
        t_key, t_dom = page.evaluate(f"() => window.__vmlabLatency.dom.find(d => d[0] >= {start})")
        # Let the kernel report idle for everything the press sent, then split the time.
        page.wait_for_function(
            """(since) => {
                const log = window.__vmlabWs.filter(e => e.t >= since);
                const sent = new Set(log.filter(e => e.dir === 'sent' && e.type === 'comm_msg').map(e => e.id));
                const idle = new Set(log.filter(e => e.type === 'status' && e.state === 'idle').map(e => e.parent));
                return sent.size > 0 && [...sent].every(id => idle.has(id));
            }""",
            arg=t_key,
            timeout=30_000,
        )
        page.wait_for_function(f"() => performance.now() - window.__vmlabLatency.last > {QUIET_MS}", timeout=30_000)
        frames = harness.ws_frames(page, t_key)
        for f in frames:
            if f["dir"] == "received" and f.get("type") == "comm_msg":
                for k, size in (f.get("keys") or {}).items():
                    label = f"{f.get('method')}:{k}"
                    run.payload[label] = run.payload.get(label, 0) + size
        sent = {f["id"] for f in harness.widget_updates_sent(frames)}
        replies = [f for f in frames if f["dir"] == "received" and f.get("type") == "comm_msg"]
        reply = max((f for f in replies if f["t"] <= t_dom), key=lambda f: f["t"], default=None)
        kernel = _kernel_ms(frames, sent, reply)
        redraw = t_dom - (reply["t"] if reply else t_key)
        latency = t_dom - t_key
        run.presses.append(Press(latency, kernel, redraw, latency - kernel - redraw, sum(f["bytes"] for f in replies)))
    run.traces, run.points = plot.evaluate(FIGURE_SIZE_JS)
    return run


def _new_page(browser):
    page = browser.new_page(viewport=harness.VIEWPORT)
    if DETAIL:
        page.add_init_script("window.__vmlabWsDetail = true;")
    page.add_init_script(harness.WS_LOG_JS)
    return page


def in_lab(browser, lab, name: str, moves: int) -> Run:
    page = _new_page(browser)
    try:
        harness.lab_open(page, lab, f"notebooks/{name}")
        harness.lab_run_all(page)
        source = harness.NOTEBOOKS / name if (harness.NOTEBOOKS / name).exists() else harness.FIXTURES / name
        output = harness.lab_cells(page).nth(harness.explorer_cell_index(source)).locator(".jp-OutputArea")
        harness.slider_handle(output).wait_for(state="attached", timeout=30_000)
        output.locator(".js-plotly-plot svg.main-svg").first.wait_for(state="attached", timeout=30_000)
        return measure(page, output, moves)
    finally:
        page.close()
        harness.lab_shutdown_kernels(lab)


def in_voila(browser, voila, name: str, moves: int) -> Run:
    page = _new_page(browser)
    try:
        return measure(page, harness.voila_open(page, voila, name), moves)
    finally:
        page.close()


# --------------------------------------------------------------------------- report

COLUMNS = [("latency_ms", "latency"), ("kernel_ms", "kernel"), ("wire_ms", "wire"), ("redraw_ms", "redraw")]


def _ratio(value: float, floor: float | None) -> str:
    return f"{value / floor:4.1f}x" if floor and floor > 0 else "   - "


def row(where: str, name: str, run: Run, floor: dict | None) -> tuple[str, dict]:
    """One line of the table, and this run's medians (the floor's, for the fixture)."""
    if not run.presses:
        return f"{where:<5} {Path(name).stem:<27} no redraw in {run.unchanged} presses", {}
    lat = run.column("latency_ms")
    med = {attr: float(np.median(run.column(attr))) for attr, _ in COLUMNS}
    med["bytes_received"] = float(np.median(run.column("bytes_received")))
    p90 = float(np.percentile(lat, 90))
    floor = floor or {}
    parts = [f"{where:<5} {Path(name).stem:<27} {lat.size:3d}",
             f"{med['latency_ms']:6.0f} {_ratio(med['latency_ms'], floor.get('latency_ms'))}",
             f"{p90:6.0f} {_ratio(p90, floor.get('latency_ms'))}"]
    for attr, _ in COLUMNS[1:]:
        parts.append(f"{med[attr]:6.0f} {_ratio(med[attr], floor.get(attr))}")
    parts.append(f"{med['bytes_received'] / 1024:8.1f} {_ratio(med['bytes_received'], floor.get('bytes_received'))}")
    if not floor:
        verdict = "framework floor"
    elif med["latency_ms"] <= GOAL_MEDIAN_MS and p90 <= GOAL_P90_MS:
        verdict = "ok"
    else:
        verdict = "OVER " + " and ".join(
            [f"median > {GOAL_MEDIAN_MS:.0f}"] * (med["latency_ms"] > GOAL_MEDIAN_MS)
            + [f"p90 > {GOAL_P90_MS:.0f}"] * (p90 > GOAL_P90_MS)
        )
    verdict += f"  [{run.traces} traces, {run.points} points]"
    if run.unchanged:
        verdict += f"; {run.unchanged} presses without a redraw"
    if run.payload:
        verdict += "\n      payload per press (JSON chars, method:key): " + ", ".join(
            f"{k} {v / len(run.presses) / 1024:.1f} Ki" for k, v in sorted(run.payload.items(), key=lambda kv: -kv[1])[:6])
    return "  ".join(parts) + "  " + verdict, med


HEADER = (
    f"{'where':<5} {'notebook':<27} {'n':>3}  {'median ms':>11}  {'p90 ms':>11}  {'kernel':>11}  {'wire':>11}  "
    f"{'redraw':>11}  {'KiB/update':>14}  verdict"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebook file names (default: every explorer notebook)")
    parser.add_argument("--moves", type=int, default=20, help="key presses per explorer (default: %(default)s)")
    parser.add_argument("--only", choices=["lab", "voila"], help="measure in one front end only")
    parser.add_argument("--detail", action="store_true",
                        help="also print what each update carries, by widget state key (slows the page: diagnosis only)")
    args = parser.parse_args(argv)
    global DETAIL
    DETAIL = args.detail

    if not harness.chromium_available():
        print(f"skipped: Chromium not found at {harness.CHROMIUM}; {harness.INSTALL_HINT}")
        return 0
    from playwright.sync_api import sync_playwright

    names = [harness.FIXTURE_NOTEBOOK, *(args.names or harness.explorer_notebooks())]
    wheres = [w for w in ("lab", "voila") if args.only in (None, w)]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"browser latency, key press -> figure DOM update, {args.moves} presses per explorer, Chromium; "
          f"goal: median <= {GOAL_MEDIAN_MS:.0f} ms, p90 <= {GOAL_P90_MS:.0f} ms; load average {load:.1f} on "
          f"{os.cpu_count()} cores at the start")
    print("fixture_explorer = the framework's floor (one slider, one 101-point trace); every ratio is against "
          "the floor's median in the same front end")
    print("kernel = busy -> figure update sent, kernel clock (the explorer's callback); wire = key handling, server and "
          "queues; redraw = last reply received -> first figure mutation; KiB/update = comm_msg bytes received")
    print(HEADER, flush=True)
    lines: dict[str, list[str]] = {w: [] for w in wheres}
    with tempfile.TemporaryDirectory(prefix="vmlab-latency-") as tmp_name:
        tmp = Path(tmp_name)
        nb_dir = harness.prepare_workdir(tmp / "work")
        servers = {}
        try:
            if "lab" in wheres:
                servers["lab"] = harness.start_jupyterlab(tmp / "work", tmp / "lab")
            if "voila" in wheres:
                app.build_site(tmp / "site", notebooks=nb_dir, data=tmp / "work" / "data",
                               extra=[nb_dir / harness.FIXTURE_NOTEBOOK], link=False)
                servers["voila"] = harness.start_voila(tmp / "site", tmp / "voila")
            with sync_playwright() as pw:
                browser = harness.launch_browser(pw)
                floors: dict[str, dict] = {}
                for name in names:
                    for where in wheres:
                        fn = in_lab if where == "lab" else in_voila
                        t = time.perf_counter()
                        try:
                            line, med = row(where, name, fn(browser, servers[where], name, args.moves),
                                            floors.get(where))
                        except Exception as exc:  # noqa: BLE001 - report and go on with the next one
                            line, med = f"{where:<5} {Path(name).stem:<27} failed: {type(exc).__name__}: " + (
                                str(exc).splitlines() or [""])[0], {}
                        if name == harness.FIXTURE_NOTEBOOK:
                            floors[where] = med
                        lines[where].append(line)
                        print(f"{line}  ({time.perf_counter() - t:.0f} s)", flush=True)
                browser.close()
        finally:
            for server in servers.values():
                server.stop()
    print("\nby front end:")
    for where in wheres:
        print(HEADER)
        print("\n".join(lines[where]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
