"""vmlab: a teaching workbook on VM migration and cloud resource provisioning.

The public API, grouped by topic. Names load on first use (PEP 562), so ``import vmlab`` is
cheap and ``vmlab sweep`` never pays for plotly or ipywidgets it does not use; the modules behind
these names are private details that may move.

>>> import vmlab as vl
>>> r = vl.precopy(vl.VM(memory_mib=1024), vl.Link(bandwidth_mib_s=119.2), vl.PrecopyPolicy.qemu())
>>> r.converged
True
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> module that defines it ("module:attribute" where the public name differs; a name that
# is a module maps to itself)
_API: dict[str, dict[str, str]] = {
    "units and helpers": {
        "units": "vmlab.units",
    },
    "migration: parameters and models": {
        "VM": "vmlab.migration",
        "Link": "vmlab.migration",
        "Host": "vmlab.migration",
        "PrecopyPolicy": "vmlab.migration",
        "PrecopyResult": "vmlab.migration",
        "precopy": "vmlab.migration",
        "precopy_grid": "vmlab.migration",
        "precopy_many": "vmlab.migration",
        "ColdPolicy": "vmlab.migration",
        "ColdResult": "vmlab.migration",
        "COLD_STEPS": "vmlab.migration",
        "cold_migration": "vmlab.migration",
        "live_vs_cold_table": "vmlab.migration",
        "live_vs_cold_grid": "vmlab.migration",
        "live_vs_cold_verdict": "vmlab.migration.compare",
        "live_migration_with_storage": "vmlab.migration.compare",
        "LiveStorageResult": "vmlab.migration.compare",
    },
    "migration: beyond pre-copy": {
        "AutoConvergePolicy": "vmlab.migration",
        "RoundsResult": "vmlab.migration",
        "autoconverge": "vmlab.migration",
        "Compression": "vmlab.migration",
        "compressed_precopy": "vmlab.migration",
        "PostcopyResult": "vmlab.migration",
        "postcopy": "vmlab.migration",
        "MethodComparison": "vmlab.migration",
        "compare_methods": "vmlab.migration",
        "PageSimResult": "vmlab.migration",
        "simulate_pages": "vmlab.migration",
        "pagesim_agreement": "vmlab.migration",
    },
    "migration: why migrate (scenarios)": {
        "evacuate": "vmlab.scenarios",
        "EvacuationResult": "vmlab.scenarios",
        "compare_evacuations": "vmlab.scenarios",
        "random_fleet": "vmlab.scenarios",
        "PlacedVM": "vmlab.scenarios",
        "balance_load": "vmlab.scenarios",
        "BalanceResult": "vmlab.scenarios",
        "demo_hot_host": "vmlab.scenarios",
        "HostPower": "vmlab.scenarios",
        "consolidate": "vmlab.scenarios",
        "ConsolidationResult": "vmlab.scenarios",
        "demo_quiet_pool": "vmlab.scenarios",
        "escape_failing_host": "vmlab.scenarios",
        "escape_curve": "vmlab.scenarios",
        "EscapeResult": "vmlab.scenarios",
        "STACKS": "vmlab.scenarios.stacks",
        "stack_policy": "vmlab.scenarios.stacks",
        "evacuation_by_stack": "vmlab.scenarios.stacks",
        "fleet_table": "vmlab.scenarios.tables",
        "escape_table": "vmlab.scenarios.tables",
    },
    "migration: figures": {
        "rounds_figure": "vmlab.figures.precopy",
        "timeline_figure": "vmlab.figures.timeline",
        "downtime_curve_figure": "vmlab.figures.precopy",
        "convergence_map_figure": "vmlab.figures.convergence_map",
        "live_vs_cold_figure": "vmlab.figures.live_vs_cold",
        "winner_map_figure": "vmlab.figures.live_vs_cold",
        "evacuation_gantt": "vmlab.figures.scenarios",
        "evacuation_comparison_figure": "vmlab.figures.scenarios",
        "balancing_figure": "vmlab.figures.scenarios",
        "consolidation_figure": "vmlab.figures.scenarios",
        "race_figure": "vmlab.figures.scenarios",
        "escape_curve_figure": "vmlab.figures.scenarios",
        "methods_figure": "vmlab.figures.methods",
        "postcopy_figure": "vmlab.figures.methods",
        "autoconverge_figure": "vmlab.figures.methods",
        "compression_figure": "vmlab.figures.methods",
        "bitmap_heatmap": "vmlab.figures.methods",
        "pagesim_agreement_figure": "vmlab.figures.methods",
    },
    "migration: explorers": {
        "precopy_explorer": "vmlab.explorers.migration",
        "cold_explorer": "vmlab.explorers.migration",
        "convergence_map_explorer": "vmlab.explorers.migration",
        "live_vs_cold_explorer": "vmlab.explorers.live_vs_cold",
        "evacuation_explorer": "vmlab.explorers.scenarios",
        "balancing_explorer": "vmlab.explorers.scenarios",
        "consolidation_explorer": "vmlab.explorers.scenarios",
        "race_explorer": "vmlab.explorers.scenarios",
        "methods_explorer": "vmlab.explorers.methods",
        "autoconverge_explorer": "vmlab.explorers.methods",
        "pagesim_explorer": "vmlab.explorers.methods",
    },
    "migration: model vs reality (real QEMU runs)": {
        "load_measurements": "vmlab.qemu.grid",
        "threshold_ratio": "vmlab.qemu.grid",
        "compare_with_measurements": "vmlab.qemu.compare:compare",
        "predict_measured_run": "vmlab.qemu.compare:predict_row",
        "measured_run_inputs": "vmlab.qemu.compare:model_inputs",
        "TCG_LOOPBACK": "vmlab.qemu.compare",
        "MODEL_TOLERANCES": "vmlab.qemu.compare:TOLERANCES",
        "run_migration": "vmlab.qemu",
        "missing_tools": "vmlab.qemu",
        "qemu_setup_figure": "vmlab.figures.qemu",
        "migration_progress_figure": "vmlab.figures.qemu",
        "predicted_vs_measured_figure": "vmlab.figures.qemu",
        "convergence_figure": "vmlab.figures.qemu",
        "calibration_explorer": "vmlab.explorers.qemu",
        "measurement_overview": "vmlab.qemu.tables",
        "verdict_table": "vmlab.qemu.tables",
        "unpaced_working_sets": "vmlab.qemu.tables",
        "largest_time_errors": "vmlab.qemu.tables",
        "model_error_summary": "vmlab.qemu.tables",
        "what_if_rate_reached": "vmlab.qemu.tables",
        "measurement_facts": "vmlab.qemu.tables",
    },
    "provisioning: demand, strategies, simulator": {
        "demand": "vmlab.provisioning.demand",
        "SelfService": "vmlab.provisioning",
        "AdvanceReservation": "vmlab.provisioning",
        "commitment_risk": "vmlab.provisioning",
        "CommitmentRisk": "vmlab.provisioning",
        "ThresholdAutoscaler": "vmlab.provisioning",
        "StepScaling": "vmlab.provisioning",
        "StepAdjustment": "vmlab.provisioning",
        "AwsTargetTracking": "vmlab.provisioning",
        "HorizontalPodAutoscaler": "vmlab.provisioning",
        "HPA": "vmlab.provisioning",
        "ScalingPolicy": "vmlab.provisioning",
        "ScalingRules": "vmlab.provisioning",
        "TargetTracking": "vmlab.provisioning",
        "hpa_desired_replicas": "vmlab.provisioning",
        "hpa_scale_up_limit": "vmlab.provisioning",
        "hpa_scale_down_limit": "vmlab.provisioning",
        "Strategy": "vmlab.provisioning",
        "Observation": "vmlab.provisioning",
        "simulate_provisioning": "vmlab.provisioning",
        "ProvisioningResult": "vmlab.provisioning",
        "summary_table": "vmlab.provisioning",
        "response_times_ms": "vmlab.provisioning",
    },
    "provisioning: comparison tables": {
        "compare_provisioning": "vmlab.provisioning.compare",
        "ProvisioningComparison": "vmlab.provisioning.compare",
        "break_even_discount": "vmlab.provisioning.compare",
        "commitment_scenarios": "vmlab.provisioning.compare",
        "decision_log": "vmlab.provisioning.compare",
        "capacity_curves": "vmlab.provisioning.compare",
        "trace_statistics": "vmlab.provisioning.compare",
    },
    "provisioning: figures and explorers": {
        "demand_figure": "vmlab.figures.provisioning",
        "provisioning_figure": "vmlab.figures.provisioning",
        "utilisation_figure": "vmlab.figures.provisioning",
        "cost_unmet_figure": "vmlab.figures.provisioning",
        "process_steps_figure": "vmlab.figures.provisioning",
        "autoscaling_explorer": "vmlab.explorers.provisioning",
        "provisioning_explorer": "vmlab.explorers.provisioning",
        "comparison_explorer": "vmlab.explorers.provisioning",
    },
    "notebooks: exercises, confirmations and results": {
        "exercises": "vmlab.exercises",
        "check": "vmlab.exercises",
        "solution": "vmlab.exercises",
        "claim": "vmlab.exercises",
        "reveal": "vmlab.exercises",
        "Feedback": "vmlab.exercises",
        "compare_results": "vmlab.tables",
        "environment_report": "vmlab.environment",
        "cold_downtime_table": "vmlab.tables",
        "precopy_table": "vmlab.precopy_tables",
        "stop_reasons": "vmlab.precopy_tables",
        "stop_rules_table": "vmlab.precopy_tables",
        "live_win_shares": "vmlab.tables",
        "live_vs_cold_scorecard": "vmlab.tables",
        "result_summaries": "vmlab.tables",
        "publish_results": "vmlab.results",
        "read_results": "vmlab.results",
    },
    "instructors: sweeps": {
        "run_sweep": "vmlab.sweep",
        "read_sweep": "vmlab.sweep",
        "write_report": "vmlab.sweep",
        "sweep_figures": "vmlab.figures.sweep",
        "sweep_response_figure": "vmlab.figures.sweep",
        "sweep_heatmap_figure": "vmlab.figures.sweep",
    },
    "instructors: assignments, grading and the book": {
        "build_assignment": "vmlab.grading.assign",
        "grade_submissions": "vmlab.grading.grade",
        "read_grades": "vmlab.grading.gradebook",
        "exercise_difficulty": "vmlab.grading.gradebook",
        "difficulty_figure": "vmlab.figures.grading",
        "build_book": "vmlab.book",
    },
}

_WHERE: dict[str, str] = {name: module for group in _API.values() for name, module in group.items()}

__all__ = list(_WHERE)


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("vmlab")
        except PackageNotFoundError:  # running from a source tree that was never installed
            return "0+unknown"
    module = _WHERE.get(name)
    if module is None:
        try:  # a submodule that is not part of the curated API (vmlab.sweep, vmlab.qemu, ...)
            return importlib.import_module(f"vmlab.{name}")
        except ModuleNotFoundError:
            raise AttributeError(f"module 'vmlab' has no attribute {name!r}") from None
    module, _, attribute = module.partition(":")
    if not attribute and (module == f"vmlab.{name}" or module.endswith(f".{name}")):
        value = importlib.import_module(module)
    else:
        value = getattr(importlib.import_module(module), attribute or name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | {"__version__"})
