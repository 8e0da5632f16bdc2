"""Figures of the migration methods (vmlab.figures.methods): they draw the results they are given."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from vmlab import VM, Link, PrecopyPolicy, compare_methods, compressed_precopy, pagesim_agreement, simulate_pages
from vmlab.figures.methods import (
    METHOD_COLOURS,
    bitmap_heatmap,
    compression_figure,
    methods_figure,
    pagesim_agreement_figure,
    postcopy_figure,
)
from vmlab.migration.postcopy import METHODS

LINK = Link(bandwidth_mib_s=119.2)
HOT = VM(memory_mib=8192, dirty_rate_mib_s=200, wws_mib=1024)


def test_comparison_figures_draw_what_they_are_given():
    c = compare_methods(VM(memory_mib=4096, dirty_rate_mib_s=200), Link(bandwidth_mib_s=119.2))
    fig = methods_figure(c)
    assert_allclose(fig.data[1].y, c.table["total_time_s"])
    assert np.isnan(fig.data[0].y[0])  # pre-copy did not complete: no downtime bar
    assert fig.data[0].text[0] == "did not complete"
    assert len(postcopy_figure(c.results["post-copy"]).data) == 2
    comp = {"plain": c.results["pre-copy + auto-converge"],
            "XBZRLE": compressed_precopy(VM(memory_mib=4096, dirty_rate_mib_s=200), Link(bandwidth_mib_s=119.2))}
    assert list(compression_figure(comp).data[0].x) == ["plain", "XBZRLE"]


def test_methods_and_postcopy_figures_show_the_hybrid():
    c = compare_methods(HOT, LINK)
    fig = methods_figure(c)
    assert list(fig.data[1].x) == list(METHODS)
    assert_allclose(fig.data[1].y, c.table["total_time_s"])
    assert fig.data[0].marker.color[2] == METHOD_COLOURS["hybrid post-copy"]
    hfig = postcopy_figure(c.results["hybrid post-copy"])
    assert hfig.layout.title.text.startswith("hybrid post-copy (1 pre-copy round(s)")
    assert any("pre-copy" in (s.text or "") for s in hfig.layout.annotations)
    assert hfig.data[0].x[0] == pytest.approx(c.results["hybrid post-copy"].progress["t_s"].iloc[0])


def test_bitmap_heatmap_is_the_simulated_bitmap():
    r = simulate_pages(VM(memory_mib=1024, dirty_rate_mib_s=60, wws_mib=512), LINK, seed=3)
    fig = bitmap_heatmap(r)
    assert fig.data[0].z.shape == r.bitmap.shape
    assert_allclose(np.array(fig.data[0].z, dtype=float), r.bitmap)
    assert_allclose(fig.data[0].x[-1], (r.bitmap.shape[1] - 0.5) * r.bin_mib / 1024)  # bin centres in GiB


def test_pagesim_agreement_figure_has_its_six_traces():
    a = pagesim_agreement(VM(memory_mib=1024, dirty_rate_mib_s=40, wws_mib=512), LINK, PrecopyPolicy.qemu(),
                          n_seeds=2, hot_fraction=0.1, hot_write_share=0.9)
    assert len(pagesim_agreement_figure(a).data) == 6


def test_old_module_name_forwards_with_a_warning():
    import vmlab.figures.beyond as old

    with pytest.warns(DeprecationWarning, match="vmlab.figures.methods"):
        assert old.methods_figure is methods_figure
    with pytest.raises(AttributeError):
        old.no_such_figure  # noqa: B018 - the attribute access is the test
