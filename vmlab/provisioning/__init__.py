"""Cloud resource provisioning: demand traces, the three provisioning types, one simulator.

>>> from vmlab.provisioning import demand, simulate_provisioning, TargetTracking
>>> r = simulate_provisioning(demand.diurnal(days=1, seed=0), TargetTracking(target=0.6))
>>> 0 < r.mean_utilisation < 1
True
"""

from vmlab.provisioning import demand
from vmlab.provisioning.simulate import (
    ProvisioningResult,
    mmc_response_time_s,
    response_times_ms,
    simulate_provisioning,
    summary_table,
)
from vmlab.provisioning.strategies import (
    VM_STARTUP_S,
    AdvanceReservation,
    SelfService,
    TargetTracking,
    ThresholdAutoscaler,
    hpa_desired_replicas,
    hpa_scale_down_limit,
    hpa_scale_up_limit,
)

__all__ = [
    "demand",
    "SelfService",
    "AdvanceReservation",
    "ThresholdAutoscaler",
    "TargetTracking",
    "simulate_provisioning",
    "summary_table",
    "ProvisioningResult",
    "mmc_response_time_s",
    "response_times_ms",
    "hpa_desired_replicas",
    "hpa_scale_up_limit",
    "hpa_scale_down_limit",
    "VM_STARTUP_S",
]
