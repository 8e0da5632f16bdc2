"""Cloud resource provisioning: demand traces, the three provisioning types, one simulator.

>>> from vmlab.provisioning import demand, simulate_provisioning, HorizontalPodAutoscaler
>>> r = simulate_provisioning(demand.diurnal(days=1, seed=0), HorizontalPodAutoscaler(target=0.6))
>>> 0 < r.mean_utilisation < 1
True
"""

from vmlab.provisioning import demand
from vmlab.provisioning.results import BILLING_STARTS_AT
from vmlab.provisioning.simulate import (
    ProvisioningResult,
    mmc_response_time_s,
    response_times_ms,
    simulate_provisioning,
    summary_table,
    trace_values,
)
from vmlab.provisioning.strategies import (
    HPA,
    VM_LIMIT,
    VM_STARTUP_S,
    AdvanceReservation,
    AwsTargetTracking,
    CommitmentRisk,
    HorizontalPodAutoscaler,
    Observation,
    ScalingPolicy,
    ScalingRules,
    SelfService,
    StepAdjustment,
    StepScaling,
    Strategy,
    TargetTracking,
    ThresholdAutoscaler,
    commitment_risk,
    hpa_desired_replicas,
    hpa_scale_down_limit,
    hpa_scale_up_limit,
)

__all__ = [
    "demand",
    "SelfService",
    "AdvanceReservation",
    "CommitmentRisk",
    "commitment_risk",
    "ThresholdAutoscaler",
    "StepAdjustment",
    "StepScaling",
    "AwsTargetTracking",
    "HorizontalPodAutoscaler",
    "HPA",
    "ScalingPolicy",
    "ScalingRules",
    "TargetTracking",
    "Strategy",
    "Observation",
    "simulate_provisioning",
    "trace_values",
    "summary_table",
    "ProvisioningResult",
    "mmc_response_time_s",
    "response_times_ms",
    "hpa_desired_replicas",
    "hpa_scale_up_limit",
    "hpa_scale_down_limit",
    "VM_STARTUP_S",
    "VM_LIMIT",
    "BILLING_STARTS_AT",
]
