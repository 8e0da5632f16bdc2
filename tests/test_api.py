"""The public API: every listed name resolves, and importing vmlab stays cheap."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import pytest

import vmlab


@pytest.mark.parametrize("name", vmlab.__all__)
def test_every_public_name_resolves(name):
    assert getattr(vmlab, name) is not None


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'precopyy'"):
        vmlab.precopyy  # noqa: B018


def test_names_are_grouped_once():
    names = [n for group in vmlab._API.values() for n in group]
    assert len(names) == len(set(names)), "a public name is listed in two topic groups"


def test_version_comes_from_the_package_metadata():
    assert vmlab.__version__ == version("vmlab")


def test_import_and_the_command_line_do_not_load_the_heavy_libraries():
    code = (
        "import sys, vmlab, vmlab.cli; vmlab.cli.build_parser(); "
        "print(sorted(m for m in ('plotly', 'ipywidgets', 'pandas', 'papermill', 'dask') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
