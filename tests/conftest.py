"""Shared pytest configuration.

``VMLAB_REQUIRE_SYSTEM_TESTS=1`` (set by ``.ci/run``) turns a skip for a missing system
package (Chromium, QEMU) into a failure, so CI cannot go green by skipping them.
"""

from __future__ import annotations

import os

import pytest

# Notebooks run by the tests (nbval, papermill, the browser) inherit this: a vl.claim(...) whose
# statement does not hold raises there, so the text's statements are checked hard.
os.environ["VMLAB_STRICT"] = "1"


def require_or_skip(available: bool, what: str, how: str) -> None:
    """Skip politely when a system tool is missing, but fail in CI where it must be present."""
    if available:
        return
    message = f"{what} is not installed; {how}"
    if os.environ.get("VMLAB_REQUIRE_SYSTEM_TESTS") == "1":
        pytest.fail(message + " (CI requires it: VMLAB_REQUIRE_SYSTEM_TESTS=1)")
    pytest.skip(message)


# Fixture notebooks are inputs of other tests (one fails on purpose), not workbook notebooks:
# keep nbval from collecting them.
collect_ignore_glob = ["fixtures/*", "browser/fixtures/*"]


def pytest_collection_modifyitems(config, items):
    """nbval's cells of the workbook notebooks count as notebook tests (``-m "not notebooks"`` skips them)."""
    for item in items:
        if type(item).__module__.startswith("nbval"):
            item.add_marker(pytest.mark.notebooks)
