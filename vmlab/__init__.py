"""vmlab: a teaching workbook on VM migration and cloud resource provisioning.

The public API is re-exported here; the modules behind it are private details that may move.
"""

from vmlab import units
from vmlab.exercises import Feedback, check
from vmlab.results import publish_results, read_results
from vmlab.migration import (
    COLD_STEPS,
    VM,
    ColdPolicy,
    ColdResult,
    Host,
    Link,
    PrecopyPolicy,
    PrecopyResult,
    cold_migration,
    live_vs_cold_grid,
    live_vs_cold_table,
    precopy,
    precopy_grid,
)
from vmlab.provisioning import (
    AdvanceReservation,
    ProvisioningResult,
    SelfService,
    TargetTracking,
    ThresholdAutoscaler,
    demand,
    hpa_desired_replicas,
    response_times_ms,
    simulate_provisioning,
    summary_table,
)
from vmlab.figures.provisioning import (
    cost_unmet_figure,
    demand_figure,
    process_steps_figure,
    provisioning_figure,
    utilisation_figure,
)
from vmlab.explorers.provisioning import autoscaling_explorer, comparison_explorer, provisioning_explorer
from vmlab.figures.migration import (
    convergence_map_figure,
    downtime_curve_figure,
    live_vs_cold_figure,
    rounds_figure,
    timeline_figure,
    winner_map_figure,
)
from vmlab.explorers.migration import cold_explorer, live_vs_cold_explorer, precopy_explorer
from vmlab.migration import (
    AutoConvergePolicy,
    Compression,
    MethodComparison,
    PageSimResult,
    PostcopyResult,
    RoundsResult,
    autoconverge,
    compare_methods,
    compressed_precopy,
    pagesim_agreement,
    postcopy,
    simulate_pages,
)
from vmlab.scenarios import (
    BalanceResult,
    ConsolidationResult,
    EscapeResult,
    EvacuationResult,
    HostPower,
    PlacedVM,
    balance_load,
    compare_evacuations,
    consolidate,
    demo_hot_host,
    demo_quiet_pool,
    escape_curve,
    escape_failing_host,
    evacuate,
    random_fleet,
)
from vmlab.figures.scenarios import (
    balancing_figure,
    consolidation_figure,
    escape_curve_figure,
    evacuation_comparison_figure,
    evacuation_gantt,
    race_figure,
)
from vmlab.figures.beyond import (
    autoconverge_figure,
    bitmap_heatmap,
    compression_figure,
    methods_figure,
    pagesim_agreement_figure,
    postcopy_figure,
)
from vmlab.explorers.scenarios import balancing_explorer, consolidation_explorer, evacuation_explorer, race_explorer
from vmlab.explorers.beyond import autoconverge_explorer, methods_explorer, pagesim_explorer
from vmlab.sweep import read_sweep, run_sweep, write_report
from vmlab.figures.sweep import sweep_figures, sweep_heatmap_figure, sweep_response_figure

__version__ = "0.1.0"

__all__ = [
    # why migrate, beyond pre-copy, page simulator (issue 4)
    "evacuate", "EvacuationResult", "compare_evacuations", "random_fleet", "PlacedVM", "balance_load",
    "BalanceResult", "HostPower", "consolidate", "demo_hot_host", "demo_quiet_pool", "ConsolidationResult", "escape_failing_host", "escape_curve",
    "EscapeResult", "postcopy", "PostcopyResult", "autoconverge", "AutoConvergePolicy", "RoundsResult",
    "Compression", "compressed_precopy", "compare_methods", "MethodComparison", "simulate_pages", "PageSimResult",
    "pagesim_agreement", "evacuation_gantt", "evacuation_comparison_figure", "balancing_figure",
    "consolidation_figure", "race_figure", "escape_curve_figure", "methods_figure", "postcopy_figure",
    "autoconverge_figure", "compression_figure", "bitmap_heatmap", "pagesim_agreement_figure",
    "evacuation_explorer", "balancing_explorer", "consolidation_explorer", "race_explorer", "methods_explorer",
    "autoconverge_explorer", "pagesim_explorer",
    # sweeps (issue 5)
    "run_sweep", "read_sweep", "write_report", "sweep_figures", "sweep_response_figure", "sweep_heatmap_figure",
    "units",
    "check",
    "Feedback",
    "publish_results",
    "read_results",
    # migration (issue 2)
    "VM",
    "Link",
    "Host",
    "PrecopyPolicy",
    "PrecopyResult",
    "precopy",
    "precopy_grid",
    "cold_migration",
    "ColdPolicy",
    "ColdResult",
    "COLD_STEPS",
    "live_vs_cold_table",
    "live_vs_cold_grid",
    "rounds_figure",
    "timeline_figure",
    "downtime_curve_figure",
    "convergence_map_figure",
    "live_vs_cold_figure",
    "winner_map_figure",
    "precopy_explorer",
    "cold_explorer",
    "live_vs_cold_explorer",
    # provisioning (issue 3)
    "demand",
    "SelfService",
    "AdvanceReservation",
    "ThresholdAutoscaler",
    "TargetTracking",
    "simulate_provisioning",
    "summary_table",
    "ProvisioningResult",
    "hpa_desired_replicas",
    "response_times_ms",
    "provisioning_figure",
    "utilisation_figure",
    "cost_unmet_figure",
    "process_steps_figure",
    "autoscaling_explorer",
    "provisioning_explorer",
    "comparison_explorer",
    "demand_figure",
]
