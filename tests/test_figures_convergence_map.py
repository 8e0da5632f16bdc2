"""Convergence maps (vmlab.figures.convergence_map): cells from the grid, boundaries from the policy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from tests.figure_fixtures import trace_named
from vmlab import VM, PrecopyPolicy, precopy_grid
from vmlab.figures.convergence_map import convergence_map_figure


@pytest.fixture(scope="module")
def cmap_grid():
    D, B = np.meshgrid(np.linspace(0, 400, 21), np.linspace(20, 600, 15))
    policy = PrecopyPolicy.qemu(timeout_s=3600)
    vm = VM(memory_mib=2048, wws_mib=64)
    return precopy_grid(vm=vm, policy=policy, dirty_rate_mib_s=D, bandwidth_mib_s=B), vm, policy


def test_convergence_map_cells(cmap_grid):
    df, vm, policy = cmap_grid
    fig = convergence_map_figure(df, policy=policy, vm=vm)
    z, status = np.asarray(fig.data[0].z, dtype=float), np.asarray(fig.data[1].z, dtype=float)
    xs, ys = np.asarray(fig.data[0].x), np.asarray(fig.data[0].y)
    assert z.shape == (15, 21)
    for rec in df.sample(40, random_state=1).itertuples(index=False):
        i, j = np.flatnonzero(ys == rec.bandwidth_mib_s)[0], np.flatnonzero(xs == rec.dirty_rate_mib_s)[0]
        if rec.converged:
            assert z[i, j] == pytest.approx(rec.downtime_ms) and np.isnan(status[i, j])
        else:
            assert np.isnan(z[i, j]) and status[i, j] == (1.0 if rec.completed else 2.0)


def test_convergence_map_boundary_line_separates_the_model(cmap_grid):
    df, vm, policy = cmap_grid
    fig = convergence_map_figure(df, policy=policy, vm=vm)
    line = trace_named(fig, "dirty rate = pre-copy rate")
    # on the line the dirty rate equals the (capped) pre-copy rate
    assert_allclose(line.x, np.minimum(line.y, 128.0))
    # 64 MiB never fits in 300 ms at the 128 MiB/s cap: no working-set line, a note instead
    assert all(t.name != "working set = rate x downtime limit" for t in fig.data)
    assert "never fits" in fig.layout.title.text
    # the model agrees: clearly below the line converges, at or above it never does
    rate = np.minimum(df["bandwidth_mib_s"], 128.0)
    assert df.loc[df["dirty_rate_mib_s"] <= 0.8 * rate, "converged"].all()
    assert not df.loc[df["dirty_rate_mib_s"] >= rate, "converged"].any()


def test_convergence_map_working_set_line():
    D, B = np.meshgrid(np.linspace(0, 400, 21), np.linspace(20, 600, 15))
    policy = PrecopyPolicy.qemu(timeout_s=3600, max_bandwidth_mib_s=None)
    vm = VM(memory_mib=2048, wws_mib=64)
    df = precopy_grid(vm=vm, policy=policy, dirty_rate_mib_s=D, bandwidth_mib_s=B)
    fig = convergence_map_figure(df, policy=policy, vm=vm)
    wline = trace_named(fig, "working set = rate x downtime limit")
    need = 64 / 0.3  # MiB/s at which the working set fits in the 300 ms limit
    assert_allclose(wline.y, [need, need])
    # above it every dirty rate converges (the dirty set saturates at 64 MiB, below the threshold)
    assert df.loc[df["bandwidth_mib_s"] > need * 1.05, "converged"].all()
    assert not df.loc[(df["bandwidth_mib_s"] < need * 0.95) & (df["dirty_rate_mib_s"] >= df["bandwidth_mib_s"]), "converged"].any()
    assert len(convergence_map_figure(df, policy=policy, vm=vm, threshold_line=False).data) == 4


def test_convergence_map_other_axes_and_errors(cmap_grid):
    df, _vm, _policy = cmap_grid
    with pytest.raises(ValueError, match="no column"):
        convergence_map_figure(df, z="nonsense")
    one = precopy_grid(dirty_rate_mib_s=np.linspace(0, 200, 5)[:, None], downtime_limit_ms=np.array([30.0, 300.0])[None, :],
                       bandwidth_mib_s=119.2, policy=PrecopyPolicy.qemu(timeout_s=60))
    fig = convergence_map_figure(one, y="downtime_limit_ms")
    line = trace_named(fig, "dirty rate = pre-copy rate")
    assert_allclose(line.x, [119.2, 119.2])  # vertical: the rate at the table's fixed bandwidth
    with pytest.raises(ValueError, match="varies"):
        convergence_map_figure(pd.concat([df.assign(memory_mib=1024.0), df.assign(memory_mib=2048.0)]))
