"""Fixtures for the real-browser tests: one Chromium, one JupyterLab and one Voila per worker.

Everything is session-scoped and lazy: a pytest-xdist worker starts only what its tests use.
The tests live in a few modules (``test_jupyterlab.py``, ``test_voila.py``), so with
``--dist loadscope`` each module's tests stay on one worker and share that worker's servers.
"""

from __future__ import annotations

import pytest

from tests.browser import harness
from tests.conftest import require_or_skip

@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright (skips with an install hint if missing)."""
    require_or_skip(harness.chromium_available(), f"Chromium ({harness.CHROMIUM})", harness.INSTALL_HINT)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra installs it
        require_or_skip(False, "The Python package playwright", "install the test extra: pip install -e '.[test]'")
    pw = sync_playwright().start()
    try:
        chromium = harness.launch_browser(pw)
        yield chromium
        chromium.close()
    finally:
        pw.stop()


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    """A copy of the numbered notebooks, ``data/`` and the fixture notebook (``<workdir>/notebooks``)."""
    root = tmp_path_factory.mktemp("browser-work")
    harness.prepare_workdir(root)
    return root


@pytest.fixture(scope="session")
def lab_server(browser, workdir, tmp_path_factory):
    """JupyterLab on 127.0.0.1, random port and token, serving ``workdir``; stopped at the end."""
    server = harness.start_jupyterlab(workdir, tmp_path_factory.mktemp("jupyterlab"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def app_site(workdir, tmp_path_factory):
    """The Voila app site as ``make app`` builds it (copies, plus the fixture); returns (path, apps)."""
    site = tmp_path_factory.mktemp("app-site") / "site"
    apps = harness.prepare_site(workdir, site)
    return site, apps


@pytest.fixture(scope="session")
def voila_server(browser, app_site, tmp_path_factory):
    """Voila on 127.0.0.1, random port and token, serving the app site; stopped at the end."""
    server = harness.start_voila(app_site[0], tmp_path_factory.mktemp("voila"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def artifacts():
    """The git-ignored folder the screenshots go to (``test-artifacts/browser``)."""
    harness.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return harness.ARTIFACTS


@pytest.fixture(scope="session")
def browser_context(browser):
    """One browser context for the session: its HTTP cache spares reloading JupyterLab's assets."""
    context = browser.new_context(viewport=harness.VIEWPORT)
    yield context
    context.close()


@pytest.fixture
def page(browser_context, artifacts, request):
    """A fresh tab with its console collected; a screenshot is kept if the test fails."""
    tab = browser_context.new_page()
    tab.console_log = harness.ConsoleLog().attach(tab)
    yield tab
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        try:
            tab.screenshot(path=str(artifacts / f"FAILED-{request.node.name}.png".replace("/", "_")))
        except Exception:  # noqa: BLE001 - best effort only
            pass
    tab.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
