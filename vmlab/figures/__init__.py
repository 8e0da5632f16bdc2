"""Figures: model results and tables in, :class:`plotly.graph_objects.Figure` out, one module per topic.

:mod:`~vmlab.figures.precopy` (pre-copy rounds, downtime curves), :mod:`~vmlab.figures.timeline`
(live and cold migrations on one time axis), :mod:`~vmlab.figures.convergence_map` (where
pre-copy converges), :mod:`~vmlab.figures.live_vs_cold` (live against cold, winner maps),
:mod:`~vmlab.figures.methods` (post-copy, auto-converge, compression, the page simulator),
:mod:`~vmlab.figures.scenarios` (evacuation, load balancing, consolidation, escaping a failing
host), :mod:`~vmlab.figures.qemu` (real QEMU runs against the model),
:mod:`~vmlab.figures.provisioning` (demand, capacity, cost), :mod:`~vmlab.figures.sweep` and
:mod:`~vmlab.figures.grading` (for instructors); :mod:`~vmlab.figures._style` holds the colours
and drawing helpers the migration figures share, and :mod:`~vmlab.figures.migration` re-exports
the migration figures under their former module. A builder never runs a model; the explorers
update its traces in place, so each documents its trace order.
"""
