"""``make lab``'s first screen: the workbook, not JupyterLab's question about its news feed.

JupyterLab asks "Would you like to get notified about official Jupyter news?" on first start
unless the notification plugin's ``fetchNews`` setting is decided.  The workbook decides it in its
own settings (``.jupyter/lab/settings/overrides.json``, which the Makefile's ``lab`` target passes
as ``--LabApp.app_settings_dir``), never in the student's.  This starts JupyterLab with the very
command ``make lab`` runs (read from ``make -n lab``; only the port, a token and the isolated user
folders differ) and looks at the first screen.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser import harness
from tests.conftest import require_or_skip

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

NEWS_PROMPT = "official Jupyter news"
NOTIFICATION_PLUGIN = "@jupyterlab/apputils-extension:notification"


def make_lab_command(port: int) -> list[str]:
    """The ``jupyter lab`` command of the Makefile's ``lab`` target, with this environment's ``bin``."""
    dry = subprocess.run(
        ["make", "--no-print-directory", "-n", "lab", "STAMP=", f"BIN={Path(sys.executable).parent}",
         "HOST=127.0.0.1", f"PORT={port}"],
        cwd=harness.ROOT, capture_output=True, text=True, check=True,
    ).stdout.replace("\\\n", " ")
    lines = [line for line in dry.splitlines() if " lab " in line and "jupyter" in line and not line.startswith("echo")]
    assert len(lines) == 1, f"no single `jupyter lab` command in `make -n lab`:\n{dry}"
    return shlex.split(lines[0])


def test_make_lab_opens_without_news_prompt(browser_context, tmp_path, artifacts):
    require_or_skip(shutil.which("make") is not None, "make", "install make (`apt-get install make`)")

    def argv(port: int, token: str) -> list[str]:
        return [*make_lab_command(port), f"--IdentityProvider.token={token}", "--ServerApp.port_retries=0"]

    assert any(a.startswith("--LabApp.app_settings_dir=") for a in make_lab_command(8888)), (
        "make lab does not point JupyterLab at the workbook's settings"
    )
    server = harness._start("make-lab", argv, tmp_path / "server", harness.ROOT, "/api/status")
    page = browser_context.new_page()
    page.console_log = harness.ConsoleLog().attach(page)
    try:
        # The workbook's overrides are the plugin's defaults now (the student can still change them).
        schema = server.api("GET", f"/lab/api/settings/{NOTIFICATION_PLUGIN}")["schema"]["properties"]
        assert schema["fetchNews"]["default"] == "false", schema["fetchNews"]

        # The first screen: the start notebook open, its kernel idle (the news question, when
        # asked, pops up while JupyterLab starts, well before that).
        harness.lab_open(page, server, "notebooks/00_start_here.ipynb")
        page.screenshot(path=str(artifacts / "lab-first-screen.png"))
        prompts = page.get_by_text(NEWS_PROMPT)
        assert prompts.count() == 0, f"JupyterLab asks about its news feed: {prompts.all_text_contents()}"
        assert not page.console_log.errors, "console errors on the first screen:\n" + "\n".join(page.console_log.errors)
    finally:
        page.close()
        try:
            harness.lab_shutdown_kernels(server)
        finally:
            server.stop()
