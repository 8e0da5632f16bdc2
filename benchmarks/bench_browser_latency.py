"""Explorer latency in a real browser: key press -> the plotly figure's DOM update.

For each explorer notebook (``notebooks/NN_*.ipynb`` with a cell tagged ``explorer``, plus the
browser tests' minimal fixture as a floor), in JupyterLab (and with ``--voila`` also as a Voila
app): run the notebook, focus the explorer's first slider, and press an arrow key ``--moves``
times.  For each press, the page records ``performance.now()`` at the ``keydown`` and at the
first DOM mutation inside the explorer's plotly figure (the redraw the kernel's callback
triggers: key -> slider value -> kernel -> ``batch_update`` -> plotly.js).  The next press waits
until the figure has changed and been quiet for 250 ms.

Prints median and 90th percentile per notebook; the goal is a median <= 100 ms.  Needs Debian's
Chromium (``apt-get install chromium``).  Usage, from the repository root::

    .venv/bin/python benchmarks/bench_browser_latency.py [--moves 20] [--voila] [names ...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser import harness  # noqa: E402

GOAL_MEDIAN_MS = 100.0

INSTRUMENT_JS = """
(plot) => {
  const st = {t0: 0, armed: false, lat: [], last: performance.now()};
  window.__vmlabLatency = st;
  document.addEventListener('keydown', () => { st.t0 = performance.now(); st.armed = true; }, true);
  new MutationObserver(() => {
    const now = performance.now();
    st.last = now;
    if (st.armed) { st.lat.push(now - st.t0); st.armed = false; }
  }).observe(plot, {subtree: true, childList: true, attributes: true, characterData: true});
}
"""


def measure(page, scope, moves: int) -> tuple[list[float], int]:
    """Press an arrow key ``moves`` times on the first slider in ``scope``.

    Returns the latencies (ms) of the presses that redrew the figure, and how many presses left
    it unchanged within 10 s (a model can map two slider values to the same picture).
    """
    handle = harness.slider_handle(scope)
    plot = scope.locator(".js-plotly-plot").first
    handle.scroll_into_view_if_needed()
    plot.evaluate(INSTRUMENT_JS)
    handle.focus()
    latencies, unchanged = [], 0
    for _ in range(moves):
        page.wait_for_function("() => performance.now() - window.__vmlabLatency.last > 250", timeout=30_000)
        before = harness.figure_signature(plot)
        count = page.evaluate("() => window.__vmlabLatency.lat.length")
        page.keyboard.press(harness.arrow_for(handle))
        try:
            harness.wait_figure_changed(page, plot, before, timeout_ms=10_000)
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: no redraw for this value
            unchanged += 1
            page.evaluate("() => { window.__vmlabLatency.armed = false; }")
            continue
        page.wait_for_function(f"() => window.__vmlabLatency.lat.length > {count}", timeout=30_000)
        latencies.append(page.evaluate("() => window.__vmlabLatency.lat.at(-1)"))
    return latencies, unchanged
def in_lab(browser, lab, name: str, moves: int) -> tuple[list[float], int]:
    page = browser.new_page(viewport=harness.VIEWPORT)
    try:
        harness.lab_open(page, lab, f"notebooks/{name}")
        harness.lab_run_all(page)
        index = harness.explorer_cell_index(harness.NOTEBOOKS / name if (harness.NOTEBOOKS / name).exists()
                                            else harness.FIXTURES / name)
        output = harness.lab_cells(page).nth(index).locator(".jp-OutputArea")
        harness.slider_handle(output).wait_for(state="attached", timeout=30_000)
        output.locator(".js-plotly-plot svg.main-svg").first.wait_for(state="attached", timeout=30_000)
        return measure(page, output, moves)
    finally:
        page.close()
        harness.lab_shutdown_kernels(lab)


def in_voila(browser, voila, name: str, moves: int) -> tuple[list[float], int]:
    page = browser.new_page(viewport=harness.VIEWPORT)
    try:
        cell = harness.voila_open(page, voila, name)
        return measure(page, cell, moves)
    finally:
        page.close()


def summary(result: tuple[list[float], int]) -> str:
    values, unchanged = result
    if not values:
        return f"no redraw in {unchanged} presses"
    a = np.asarray(values)
    median, p90 = np.median(a), np.percentile(a, 90)
    flag = "ok" if median <= GOAL_MEDIAN_MS else f"over the {GOAL_MEDIAN_MS:.0f} ms goal"
    extra = f", {unchanged} presses without a redraw" if unchanged else ""
    return (f"n={a.size:3d}  median {median:6.1f} ms  p90 {p90:6.1f} ms  min {a.min():6.1f}  max {a.max():6.1f}  "
            f"{flag}{extra}")


def run(label: str, name: str, fn) -> None:
    t = time.perf_counter()
    try:
        text = summary(fn())
    except Exception as exc:  # noqa: BLE001 - report and go on with the next explorer
        text = f"failed: {type(exc).__name__}: {str(exc).splitlines()[0]}"
    print(f"  {label:<6} {Path(name).stem:<28} {text}  ({time.perf_counter() - t:.0f} s)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebook file names (default: every explorer notebook)")
    parser.add_argument("--moves", type=int, default=20, help="key presses per explorer (default: %(default)s)")
    parser.add_argument("--voila", action="store_true", help="also measure each notebook as a Voila app")
    args = parser.parse_args(argv)

    if not harness.chromium_available():
        print(f"skipped: Chromium not found at {harness.CHROMIUM}; {harness.INSTALL_HINT}")
        return 0
    from playwright.sync_api import sync_playwright

    names = args.names or [harness.FIXTURE_NOTEBOOK, *harness.explorer_notebooks()]
    print(f"browser latency, key press -> figure DOM update, {args.moves} moves per explorer "
          f"(goal: median <= {GOAL_MEDIAN_MS:.0f} ms)")
    with tempfile.TemporaryDirectory(prefix="vmlab-latency-") as tmp_name:
        tmp = Path(tmp_name)
        harness.prepare_workdir(tmp / "work")
        servers = [harness.start_jupyterlab(tmp / "work", tmp / "lab")]
        try:
            if args.voila:
                harness.prepare_site(tmp / "work", tmp / "site")
                servers.append(harness.start_voila(tmp / "site", tmp / "voila"))
            with sync_playwright() as pw:
                browser = harness.launch_browser(pw)
                for name in names:
                    run("lab", name, lambda: in_lab(browser, servers[0], name, args.moves))
                    if args.voila:
                        run("voila", name, lambda: in_voila(browser, servers[1], name, args.moves))
                browser.close()
        finally:
            for server in servers:
                server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
