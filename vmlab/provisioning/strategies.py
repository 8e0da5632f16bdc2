"""Every built-in provisioning strategy in one namespace, by the lecture notes' three types.

The strategies live in one module per family; this module gathers them:

* self-service: :class:`SelfService` (:mod:`vmlab.provisioning.manual`);
* advanced: :class:`AdvanceReservation`, :func:`commitment_risk` (:mod:`vmlab.provisioning.reservation`);
* dynamic: AWS's :class:`ThresholdAutoscaler` (simple scaling), :class:`StepScaling` and
  :class:`AwsTargetTracking` (:mod:`vmlab.provisioning.aws`), and the Kubernetes
  :class:`HorizontalPodAutoscaler` (:mod:`vmlab.provisioning.hpa`).

Each is a frozen, validated parameter set that knows its place in the lecture notes' summary
table (``kind``, ``trigger``, ``timing``, ``flexibility``), its process steps (``steps()``) and
how it reacts to load (``decide(obs)``, see :class:`~vmlab.provisioning.protocol.Strategy`).
"""

from __future__ import annotations

from vmlab.provisioning._common import VM_STARTUP_S
from vmlab.provisioning.aws import AwsTargetTracking, StepAdjustment, StepScaling, ThresholdAutoscaler
from vmlab.provisioning.hpa import (
    HPA,
    HorizontalPodAutoscaler,
    ScalingPolicy,
    ScalingRules,
    TargetTracking,
    hpa_desired_replicas,
    hpa_scale_down_limit,
    hpa_scale_up_limit,
)
from vmlab.provisioning.manual import SelfService
from vmlab.provisioning.protocol import VM_LIMIT, Observation, Strategy
from vmlab.provisioning.reservation import AdvanceReservation, CommitmentRisk, commitment_risk

__all__ = [
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
    "hpa_desired_replicas",
    "hpa_scale_up_limit",
    "hpa_scale_down_limit",
    "Strategy",
    "Observation",
    "VM_LIMIT",
    "VM_STARTUP_S",
]
