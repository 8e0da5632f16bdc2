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

__version__ = "0.1.0"

__all__ = [
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
    "provisioning_figure",
    "utilisation_figure",
    "cost_unmet_figure",
    "process_steps_figure",
    "autoscaling_explorer",
    "provisioning_explorer",
    "comparison_explorer",
    "demand_figure",
]
