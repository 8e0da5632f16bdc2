"""vmlab.figures.migration re-exports the migration figures of the topic modules (explorers and notebooks import it)."""

from __future__ import annotations

import math

import pytest

import vmlab
import vmlab.figures.migration as migration
from vmlab.figures import _style, convergence_map, live_vs_cold, precopy, timeline
from vmlab.format import format_duration
from vmlab.migration.compare import live_vs_cold_verdict


def test_every_name_is_the_topic_modules_own():
    topics = (_style, precopy, timeline, convergence_map, live_vs_cold, vmlab.format)
    for name in migration.__all__:
        value = getattr(migration, name)
        assert any(getattr(module, name, None) is value for module in topics), name


def test_public_figures_load_from_their_topic_modules():
    assert vmlab.rounds_figure is precopy.rounds_figure and vmlab.downtime_curve_figure is precopy.downtime_curve_figure
    assert vmlab.timeline_figure is timeline.timeline_figure
    assert vmlab.convergence_map_figure is convergence_map.convergence_map_figure
    assert vmlab.live_vs_cold_figure is live_vs_cold.live_vs_cold_figure


def test_one_verdict_rule_in_the_models():
    assert migration.live_vs_cold_verdict is live_vs_cold.live_vs_cold_verdict is live_vs_cold_verdict
    assert vmlab.live_vs_cold_verdict is live_vs_cold_verdict


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'rounds_figur'"):
        migration.rounds_figur  # noqa: B018 - the attribute access is the test


def test_format_duration_units():
    assert [format_duration(s) for s in (0.005, 0.25, 5.0, 600.0, 7200.0 * 2)] == ["5 ms", "250 ms", "5.0 s", "10.0 min", "4.0 h"]
    assert format_duration(math.inf) == "n/a"
