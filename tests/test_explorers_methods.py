"""Explorers of the migration methods without a browser: a slider moves the figure, bad values are reported."""

from __future__ import annotations

import numpy as np
import pytest

from vmlab.explorers.methods import autoconverge_explorer, methods_explorer, pagesim_explorer


@pytest.mark.parametrize("make, key, values, trace", [
    (methods_explorer, "dirty_rate_mib_s", [150.0, 250.0, 350.0], 1),
    (autoconverge_explorer, "initial_pct", [30.0, 40.0, 50.0], 2),
])
def test_explorer_sliders_move_the_figure(make, key, values, trace):
    app = make()
    assert isinstance(list(app.controls.values())[0].value, (int, float))  # first control is a slider
    for v in values:
        before = list(app.figure.data[trace].y)
        app.controls[key].value = v
        assert list(app.figure.data[trace].y) != before
    assert "⚠" not in app.readout.value


def test_explorer_reports_bad_values_instead_of_crashing():
    app = methods_explorer()
    app.controls["wws_mib"].value = app.controls["wws_mib"].max
    app.controls["dirty_rate_mib_s"].value = 0.0
    assert "⚠" not in app.readout.value


def test_pagesim_explorer_redraws_the_bitmap():
    app = pagesim_explorer()
    before = np.array(app.figure.data[0].z)
    app.controls["hot_write_share"].value = 0.2
    after = np.array(app.figure.data[0].z)
    assert before.shape != after.shape or not np.array_equal(before, after)


def test_method_explorers_keep_every_field_of_the_callers_vm():
    """The sliders change the rate (and working set); the VM's other fields, page size included, stay."""
    from vmlab import VM

    vm = VM(memory_mib=4096, dirty_rate_mib_s=60.0, wws_mib=1024, page_size_kib=2048, zero_fraction=0.3)
    for make, used in ((methods_explorer, lambda r: r.results["pre-copy"].vm),
                       (autoconverge_explorer, lambda r: r.vm),
                       (pagesim_explorer, lambda r: r.vm)):
        app = make(vm)
        app.controls["dirty_rate_mib_s"].value = 100.0
        moved = used(app.result)
        assert moved.dirty_rate_mib_s == 100.0, make.__name__
        assert (moved.page_size_kib, moved.zero_fraction) == (2048, 0.3), make.__name__
