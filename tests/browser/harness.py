"""Machinery for the real-browser tests and the latency benchmark.

Servers: JupyterLab and Voila run on ``127.0.0.1`` with a random free port and a random token,
on a *copy* of the notebooks (and ``data/``), with every Jupyter/IPython directory pointed at a
temporary folder so the user's own settings never leak in.  The lab extensions (anywidget,
jupyterlab-plotly, the widget manager) live in the environment's ``share/jupyter`` and stay
visible: a temporary ``JUPYTER_DATA_DIR`` only replaces the *user* data directory.

Browser: Playwright drives Debian's Chromium (``/usr/bin/chromium``); it never downloads one.

Used by ``tests/browser/`` and ``benchmarks/bench_browser_latency.py``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from vmlab import app

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
DATA = ROOT / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE_NOTEBOOK = "fixture_explorer.ipynb"
ARTIFACTS = ROOT / "test-artifacts" / "browser"

CHROMIUM = os.environ.get("VMLAB_CHROMIUM", "/usr/bin/chromium")
INSTALL_HINT = (
    "install Debian's Chromium with `sudo apt-get install chromium` "
    "(the tests drive /usr/bin/chromium through Playwright; they never download a browser)"
)
# Headless, no sandbox (root in CI), and no background traffic: on a closed network Chromium's
# own connections (component updates, sync, QUIC probes) otherwise get refused and slow it down.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}
EXPLORER_TAG = app.EXPLORER_TAG


def chromium_available() -> bool:
    """True when the Chromium executable the tests drive is installed."""
    return os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)


def launch_browser(playwright):
    """Launch Debian's Chromium headless (never a downloaded browser)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


# --------------------------------------------------------------------------- notebooks


def explorer_index(nb: nbformat.NotebookNode) -> int | None:
    """Index (among all cells) of the first code cell tagged ``explorer``, or None."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and EXPLORER_TAG in cell.get("metadata", {}).get("tags", []):
            return i
    return None


def explorer_cell_index(path: Path) -> int | None:
    """:func:`explorer_index` of the notebook file at ``path``."""
    return explorer_index(nbformat.read(str(path), as_version=4))


def explorer_notebooks(folder: Path = NOTEBOOKS) -> list[str]:
    """File names of the numbered notebooks (``NN_*.ipynb``) that display an explorer."""
    return [p.name for p in app.explorer_notebooks(folder)]


def cell_count(path: Path) -> int:
    return len(nbformat.read(str(path), as_version=4).cells)


def prepare_workdir(dest: Path) -> Path:
    """Copy the numbered notebooks, ``data/`` and the fixture notebook into ``dest``.

    Returns the copied notebooks folder; notebooks keep reading ``../data/`` as in the workbook.
    """
    nb_dir = dest / "notebooks"
    nb_dir.mkdir(parents=True)
    for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        shutil.copy2(p, nb_dir / p.name)
    shutil.copy2(FIXTURES / FIXTURE_NOTEBOOK, nb_dir / FIXTURE_NOTEBOOK)
    if DATA.is_dir():
        shutil.copytree(DATA, dest / "data")
    return nb_dir


def prepare_site(workdir: Path, site: Path) -> list[tuple[str, str]]:
    """The Voila app site (as ``make app`` builds it), from the copied notebooks.

    The fixture notebook joins only while the workbook has no explorer notebook of its own
    (the same rule as ``tests.browser.notebooks.EXPLORERS``).
    """
    extra = [] if explorer_notebooks() else [workdir / "notebooks" / FIXTURE_NOTEBOOK]
    return app.build_site(site, notebooks=workdir / "notebooks", data=workdir / "data", extra=extra, link=False)


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def isolated_env(tmp: Path) -> dict[str, str]:
    """Environment for a server: Jupyter/IPython user directories in ``tmp``."""
    env = dict(os.environ)
    for var, sub in [
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("IPYTHONDIR", "ipython"),
    ]:
        d = tmp / sub
        d.mkdir(parents=True, exist_ok=True)
        env[var] = str(d)
    env.pop("JUPYTER_PATH", None)
    env.pop("JUPYTER_CONFIG_PATH", None)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class Server:
    """A running Jupyter server process (JupyterLab or Voila) and how to reach it."""

    name: str
    port: int
    token: str
    proc: subprocess.Popen
    log_path: Path
    _log: object = field(repr=False, default=None)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` with the token attached."""
        sep = "&" if "?" in path else "?"
        return f"{self.base}/{path.lstrip('/')}{sep}token={self.token}"

    def api(self, method: str, path: str) -> object:
        """Call the server's REST API (token in the header); returns decoded JSON or None."""
        req = urllib.request.Request(self.base + path, method=method, headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """Stop the server and its kernels (SIGTERM to its process group, then SIGKILL)."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        # Whatever is left in the group (kernels that ignored SIGTERM) goes now.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.poll() is None:
            self.proc.wait(timeout=5)
        if self._log is not None:
            self._log.close()


def _root_flags() -> list[str]:
    return ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []


def _start(name: str, argv_for_port, tmp: Path, cwd: Path, ready_path: str, timeout: float = 90.0) -> Server:
    """Start a server on a free port; retry on a port race; wait until ``ready_path`` answers."""
    tmp.mkdir(parents=True, exist_ok=True)
    env = isolated_env(tmp)
    last_error = ""
    for attempt in range(3):
        port = free_port()
        token = secrets.token_hex(16)
        log_path = tmp / f"{name}-{attempt}.log"
        log = open(log_path, "w")
        proc = subprocess.Popen(
            argv_for_port(port, token),
            cwd=str(cwd),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stop() takes the kernels too
        )
        server = Server(name, port, token, proc, log_path, log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            try:
                req = urllib.request.Request(server.base + ready_path, headers={"Authorization": f"token {token}"})
                with urllib.request.urlopen(req, timeout=5) as resp:
                    if resp.status == 200:
                        return server
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.25)
        last_error = server.log_tail()
        server.stop()
    raise RuntimeError(f"{name} did not start on 127.0.0.1; last log lines:\n{last_error}")


def start_jupyterlab(root: Path, tmp: Path) -> Server:
    """JupyterLab serving ``root`` (the copied notebooks' parent), isolated in ``tmp``."""
    write_lab_settings(tmp)

    def argv(port: int, token: str) -> list[str]:
        return [
            sys.executable, "-m", "jupyterlab",
            *_root_flags(),
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
            f"--LabApp.user_settings_dir={tmp / 'settings'}",
            # No network calls from the server: no news feed, no update check, no PyPI listing.
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
        ]

    return _start("jupyterlab", argv, tmp, root, "/api/status")


def start_voila(site: Path, tmp: Path) -> Server:
    """Voila serving the app site ``site`` (see :func:`prepare_site`), isolated in ``tmp``.

    The same command ``make app`` runs, plus a random port, a token and tracebacks shown.
    """

    def argv(port: int, token: str) -> list[str]:
        return [
            *app.voila_argv(site, "127.0.0.1", port),
            "--Voila.port_retries=0",
            f"--token={token}",
            "--show_tracebacks=True",
        ]

    return _start("voila", argv, tmp, site / "notebooks", "/voila/tree")


def write_lab_settings(tmp: Path) -> None:
    """User settings for the test JupyterLab.

    No news/update notifications popping over the cells, and no notebook windowing: every cell
    is in the page, so the cell tagged ``explorer`` is found by its index.
    """
    settings = {
        ("apputils-extension", "notification"): {"fetchNews": "false", "checkForUpdates": False},
        ("notebook-extension", "tracker"): {"windowingMode": "none"},
    }
    for (plugin, name), values in settings.items():
        d = tmp / "settings" / "@jupyterlab" / plugin
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{name}.jupyterlab-settings").write_text(json.dumps(values))


# --------------------------------------------------------------------------- page helpers

# A fingerprint of what a plotly figure shows: every SVG path's geometry, every text, every
# image.  Any visible change of a trace, a title or an annotation changes it.
FIGURE_SIGNATURE_JS = """
(plot) => {
  const parts = [];
  for (const svg of plot.querySelectorAll('svg.main-svg')) {
    for (const el of svg.querySelectorAll('path[d], text, image')) {
      if (el.closest('.draglayer') || el.closest('.hoverlayer')) continue;
      // markers move by their transform (their 'd' is the marker's shape), labels by x/y
      if (el.tagName === 'path') parts.push(el.getAttribute('d') + '@' + (el.getAttribute('transform') || ''));
      else if (el.tagName === 'text') parts.push('T' + el.textContent + '@' + el.getAttribute('x') + ',' + el.getAttribute('y'));
      else parts.push('I' + (el.getAttribute('href') || '').length);
    }
  }
  return parts.join('|');
}
"""

# Console messages that are known, harmless noise.  Everything else logged as an error (and every
# uncaught exception) fails a test.  Each entry: (kind, message part, URL/stack part, why).
KNOWN_HARMLESS_CONSOLE = [
    (
        "console",
        "Failed to load resource",
        "cdn.jsdelivr.net/npm/@fortawesome/",
        "Voila's page links Font Awesome CSS from a CDN; without internet (CI sandboxes) the "
        "request fails and only icon glyphs are missing",
    ),
]


def _harmless(kind: str, text: str, where: str) -> bool:
    return any(k == kind and part in text and place in where for k, part, place, _why in KNOWN_HARMLESS_CONSOLE)


@dataclass
class ConsoleLog:
    """Collects console errors and uncaught exceptions of one page, minus known harmless noise."""

    errors: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def attach(self, page) -> "ConsoleLog":
        page.on("console", self._on_console)
        page.on("pageerror", self._on_pageerror)
        return self

    def _on_console(self, msg) -> None:
        if msg.type != "error":
            return
        where = (msg.location or {}).get("url", "")
        entry = f"console.error: {msg.text} ({where})"
        (self.ignored if _harmless("console", msg.text, where) else self.errors).append(entry)

    def _on_pageerror(self, exc) -> None:
        stack = getattr(exc, "stack", "") or ""
        text = getattr(exc, "message", "") or str(exc)
        entry = f"uncaught: {text}\n{stack}"
        (self.ignored if _harmless("pageerror", text, stack) else self.errors).append(entry)


# Added to a page before it loads (``page.add_init_script``): logs every kernel websocket frame,
# sent and received, as ``window.__vmlabWs`` entries ``{t, dir, bytes, type, id, parent, state, date}``
# (with ``window.__vmlabWsDetail`` set, a ``comm_msg`` also gets its ``method`` and the JSON size of
# each state key it carries, ``keys``)
# (``performance.now()`` in ms; the kernel's header date for received frames).  Reads only the
# small header parts (and a status message's content), never a big payload, so it costs the page
# almost nothing.  Handles both of Jupyter's websocket formats: JSON text and the binary
# ``v1.kernel.websocket.jupyter.org`` framing (a count, offsets, then channel, header, parent
# header, metadata, content, buffers).
WS_LOG_JS = """
(() => {
  const log = [];
  window.__vmlabWs = log;
  const text = new TextDecoder();
  function describe(data) {
    const size = typeof data === 'string' ? data.length : (data.byteLength ?? data.size ?? 0);
    const e = {bytes: size};
    try {
      let header, parent, content = () => ({});
      if (typeof data === 'string') {
        const m = JSON.parse(data);
        header = m.header; parent = m.parent_header; content = () => m.content;
      } else if (data instanceof ArrayBuffer) {
        const view = new DataView(data);
        const n = Number(view.getBigUint64(0, true));
        const off = [];
        for (let i = 1; i <= n; i++) off.push(Number(view.getBigUint64(8 * i, true)));
        const part = (i) => JSON.parse(text.decode(new Uint8Array(data, off[i], (i + 1 < n ? off[i + 1] : data.byteLength) - off[i])));
        header = part(1); parent = part(2); content = () => part(4);
      } else return e;
      e.type = header.msg_type; e.id = header.msg_id; e.date = header.date;
      e.parent = parent && parent.msg_id;
      if (e.type === 'status') e.state = content().execution_state;
      if (window.__vmlabWsDetail && e.type === 'comm_msg') {  // diagnosis only: parses the payload
        const data = content().data || {};
        e.method = data.method;
        e.keys = Object.fromEntries(Object.entries(data.state || data.content || {}).map(([k, v]) => [k, JSON.stringify(v ?? null).length]));
      }
    } catch (err) { e.type = '?'; }
    return e;
  }
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    log.push({t: performance.now(), dir: 'sent', ...describe(data)});
    return send.call(this, data);
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (ev) => log.push({t: performance.now(), dir: 'received', ...describe(ev.data)}));
    }
  };
})();
"""


def ws_frames(page, since: float = 0.0) -> list[dict]:
    """The websocket frames :data:`WS_LOG_JS` logged at or after ``since`` (``performance.now()``, ms)."""
    return page.evaluate("(since) => (window.__vmlabWs || []).filter(e => e.t >= since)", since)


def widget_updates_sent(frames: list[dict]) -> list[dict]:
    """The ``comm_msg`` frames the page sent (widget state changes going to the kernel)."""
    return [f for f in frames if f["dir"] == "sent" and f.get("type") == "comm_msg"]


def slider_handle(scope):
    """The first slider handle (ipywidgets' noUiSlider) inside ``scope``."""
    return scope.locator(".widget-slider .noUi-handle").first


def arrow_for(handle) -> str:
    """The arrow key that moves the slider without hitting its end."""
    now = float(handle.get_attribute("aria-valuenow"))
    top = float(handle.get_attribute("aria-valuemax"))
    return "ArrowLeft" if now >= top else "ArrowRight"


def figure_signature(plot) -> str:
    return plot.evaluate(FIGURE_SIGNATURE_JS)


def wait_figure_changed(page, plot, before: str, timeout_ms: float = 20_000) -> str:
    """Wait until the figure's signature differs from ``before``; return the new one."""
    handle = plot.element_handle()
    page.wait_for_function(
        f"([plot, before]) => ({FIGURE_SIGNATURE_JS})(plot) !== before",
        arg=[handle, before],
        timeout=timeout_ms,
    )
    return figure_signature(plot)


# The widget description labels (and checkbox labels) inside a scope whose text does not fit:
# ipywidgets cuts an overflowing description with an ellipsis (``text-overflow: ellipsis``), so
# an element wider inside than its box, or a text ending in "…", is a label the student cannot read.
TRUNCATED_LABELS_JS = """
(scope) => [...scope.querySelectorAll('.widget-label, .widget-label-basic')]
    .filter(e => e.offsetParent !== null && e.textContent.trim() !== '')
    .filter(e => e.scrollWidth > e.clientWidth || e.textContent.trim().endsWith('\u2026'))
    .map(e => `${e.textContent.trim()} (${e.clientWidth} of ${e.scrollWidth} px)`)
"""


def truncated_labels(scope) -> list[str]:
    """Descriptions and labels in ``scope`` (a locator) that show cut: text and widths."""
    return scope.evaluate(TRUNCATED_LABELS_JS)


# JS: true once every widget update the page sent since ``since`` has been answered by the kernel
# going idle, and no kernel frame has arrived for ``quiet`` ms.  ipywidgets sends a model's next
# change only when the kernel went idle after the previous one, so this is "the kernel caught up".
KERNEL_CAUGHT_UP_JS = """
([since, quiet]) => {
  const log = (window.__vmlabWs || []).filter(e => e.t >= since);
  const sent = log.filter(e => e.dir === 'sent' && e.type === 'comm_msg').map(e => e.id);
  const idle = new Set(log.filter(e => e.type === 'status' && e.state === 'idle').map(e => e.parent));
  const last = log.length ? log[log.length - 1].t : since;
  return sent.every(id => idle.has(id)) && performance.now() - last > quiet;
}
"""


def wait_kernel_caught_up(page, since: float, quiet_ms: float = 500, timeout_ms: float = 60_000) -> None:
    """Wait until the kernel answered every widget update sent since ``since`` (needs :data:`WS_LOG_JS`)."""
    page.wait_for_function(KERNEL_CAUGHT_UP_JS, arg=[since, quiet_ms], timeout=timeout_ms, polling=100)


def press_and_wait_redraw(page, handle, plot) -> tuple[str, str]:
    """Focus the slider ``handle``, press the arrow key that moves it, wait until its value and
    then the figure ``plot`` changed; return the figure's signature before and after."""
    before = figure_signature(plot)
    value = handle.get_attribute("aria-valuenow")
    handle.focus()
    page.keyboard.press(arrow_for(handle))
    page.wait_for_function(
        "([h, v]) => h.getAttribute('aria-valuenow') !== v", arg=[handle.element_handle(), value], timeout=10_000
    )
    return before, wait_figure_changed(page, plot, before)


# --------------------------------------------------------------------------- JupyterLab

# JS: the kernel status text of the status bar ("Python 3 (ipykernel) | Idle") and the input
# prompts of the visible notebook's code cells ("[3]:", "[*]:", "[ ]:").
_LAB_STATE_JS = """
() => {
  const status = [...document.querySelectorAll('.jp-StatusBar-Item')]
      .map(e => e.textContent.trim()).find(t => / \\| [A-Za-z]+$/.test(t)) || '';
  const panel = [...document.querySelectorAll('.jp-NotebookPanel')].find(p => !p.classList.contains('lm-mod-hidden'));
  const prompts = panel ? [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea .jp-InputPrompt')].map(e => e.textContent.trim()) : [];
  return {status, prompts};
}
"""


def lab_state(page) -> dict:
    return page.evaluate(_LAB_STATE_JS)


def lab_wait_idle(page, timeout_ms: float) -> None:
    """Wait until the status bar says the kernel is Idle and no cell is queued or running."""
    page.wait_for_function(
        f"""() => {{
            const s = ({_LAB_STATE_JS})();
            return s.status.endsWith('| Idle') && s.prompts.length > 0 && !s.prompts.some(p => p.includes('*'));
        }}""",
        timeout=timeout_ms,
        polling=200,
    )


def lab_open(page, lab: Server, path: str, timeout_ms: float = 90_000) -> None:
    """Open ``path`` (relative to the server root) in JupyterLab; wait for an idle kernel.

    Each call uses a fresh, reset workspace: otherwise JupyterLab restores every notebook a
    previous page opened, each with its own kernel.
    """
    workspace = "t" + secrets.token_hex(4)
    page.goto(lab.url(f"lab/workspaces/{workspace}/tree/{path}?reset"), timeout=timeout_ms)
    page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(timeout=timeout_ms)
    page.wait_for_function(
        f"() => ({_LAB_STATE_JS})().status.endsWith('| Idle')", timeout=timeout_ms, polling=200
    )


def lab_run_all(page, timeout_ms: float = 120_000) -> None:
    """Run > Run All Cells, from the menu bar, then wait for the kernel to be idle again."""
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
    lab_wait_idle(page, timeout_ms)


def lab_cells(page):
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")


def lab_explorer_output(page, path: Path, timeout_ms: float = 30_000):
    """The output area of the cell tagged ``explorer`` of the open notebook ``path``, drawn."""
    output = lab_cells(page).nth(explorer_cell_index(path)).locator(".jp-OutputArea")
    slider_handle(output).wait_for(state="attached", timeout=timeout_ms)
    output.locator(".js-plotly-plot svg.main-svg").first.wait_for(state="attached", timeout=timeout_ms)
    return output


def lab_shutdown_kernels(lab: Server) -> None:
    """Shut down every kernel session of the server (keeps the next notebook's run quick)."""
    for session in lab.api("GET", "/api/sessions") or []:
        try:
            lab.api("DELETE", f"/api/sessions/{session['id']}")
        except urllib.error.HTTPError:
            pass


# --------------------------------------------------------------------------- Voila


def voila_open(page, voila: Server, name: str, timeout_ms: float = 120_000):
    """Load the app ``name``; return the explorer cell once its slider and figure are drawn."""
    page.goto(voila.url(f"voila/render/{name}"), timeout=timeout_ms)
    cell = page.locator(f".celltag_{EXPLORER_TAG}").first
    slider_handle(cell).wait_for(state="visible", timeout=timeout_ms)
    cell.locator(".js-plotly-plot svg.main-svg").first.wait_for(state="visible", timeout=timeout_ms)
    return cell


def tracebacks(scope) -> list[str]:
    """Text of the error outputs (tracebacks) inside ``scope`` (a page or a locator).

    Warnings also render on stderr; they are not errors and are not returned.
    """
    texts = scope.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").all_text_contents()
    return [t for t in texts if re.search(r"Traceback|^\w*(Error|Exception)\b", t, re.M)]
