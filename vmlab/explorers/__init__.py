"""Explorers: slider apps, each a few ipywidgets controls, one plotly ``FigureWidget`` and one callback.

Every explorer is an :class:`~vmlab.explorers._common.Explorer` (controls -> model -> paint only
what changed -> readout) and exposes ``.controls``, ``.figure``, ``.readout``, ``.result`` and
``.update()``, so tests can move a control without a browser. Modules: ``migration`` (pre-copy,
cold, the convergence map), ``live_vs_cold``, ``methods`` (post-copy and friends, auto-converge,
the page simulator), ``scenarios`` (evacuation, balancing, consolidation, the race against a
failing host), ``qemu`` (calibration against real runs), ``provisioning`` (auto-scaling, the
three types, the comparison).
"""
