"""Callback latency of every explorer: move a control, rerun the model, redraw the figure.

For each explorer and each control, the control is swept across its whole range (up, then
down, like a student dragging it end to end; dropdowns, checkboxes and toggles cycle through
their options) and every ``control.value = ...`` is timed. That assignment runs the whole
callback synchronously: read the controls, run the model, update the ``FigureWidget`` traces
inside ``batch_update()`` and the readout. The goal is a median under 20 ms per callback.

Wall time (``time.perf_counter``) is what a student feels; CPU time (``time.process_time``)
excludes waiting for a busy CPU. ``model`` is the CPU time of the model call alone
(``precopy``, ``live_migration_with_storage`` / ``cold_migration`` rerun on the explorer's
latest inputs), so the rest is figure and widget work. No browser is attached: the time the
front end takes to re-render is not included (``benchmarks/bench_browser_latency.py`` measures that end to end).

The explorers that rerun several simulations per update (provisioning, comparison,
calibration: they update on release) are swept with fewer positions (``--slow-steps``).

Prints (never asserts). Run: python benchmarks/bench_explorers.py [--steps 40] [--only precopy_explorer ...]
Numbers from a busy machine are pessimistic.
"""

from __future__ import annotations

import argparse
import time

import ipywidgets as widgets
import numpy as np

import vmlab
from vmlab import cold_migration, live_migration_with_storage, precopy

FAST = ["precopy_explorer", "cold_explorer", "live_vs_cold_explorer", "convergence_map_explorer",
        "evacuation_explorer", "balancing_explorer", "consolidation_explorer", "race_explorer",
        "methods_explorer", "autoconverge_explorer", "pagesim_explorer", "autoscaling_explorer"]
SLOW = ["provisioning_explorer", "comparison_explorer", "calibration_explorer"]


def _values(control, steps: int) -> list:
    if isinstance(control, widgets.FloatLogSlider):
        up = control.base ** np.linspace(control.min, control.max, steps)
        return [float(v) for v in [*up, *up[::-1][1:]]]
    if isinstance(control, (widgets.FloatSlider, widgets.IntSlider)):
        up = np.linspace(control.min, control.max, steps)
        if isinstance(control, widgets.IntSlider):
            up = np.unique(up.round().astype(int))
        sweep = [*up, *up[::-1][1:]]
        return [type(control.value)(v) for v in sweep]
    if isinstance(control, widgets.Checkbox):
        return [not control.value, control.value] * max(1, steps // 4)
    options = [o[1] if isinstance(o, tuple) else o for o in control.options]  # Dropdown, ToggleButtons
    start = options.index(control.value)
    cycle = options[start + 1:] + options[: start + 1]
    return cycle * max(1, steps // (2 * len(options)))


def _model_cpu_ms(app) -> float:
    """CPU time of the model alone for the migration explorers (NaN for the others)."""
    result = getattr(app, "result", None)
    start = time.process_time()
    if type(result).__name__ == "ConvergenceMap":  # the vectorised grid of convergence_map_explorer
        t = result.table
        vmlab.precopy_grid(vm=result.vm, link=result.link, policy=result.policy,
                           dirty_rate_mib_s=t["dirty_rate_mib_s"].to_numpy(), bandwidth_mib_s=t["bandwidth_mib_s"].to_numpy())
        return 1000 * (time.process_time() - start)
    if not (type(result) is tuple or type(result) in (vmlab.PrecopyResult, vmlab.ColdResult)):
        return float("nan")
    if type(result) is tuple:  # live vs cold
        live, cold = result
        live_migration_with_storage(live.vm, live.link, live.policy, disk_gib=live.disk_gib,
                                    disk_dirty_rate_mib_s=live.disk_dirty_rate_mib_s, shared_storage=live.shared_storage)
        cold_migration(cold.vm, cold.link, disk_gib=cold.disk_gib, shared_storage=cold.shared_storage,
                       guest_state=cold.guest_state, policy=cold.policy)
    elif hasattr(result, "steps"):
        cold_migration(result.vm, result.link, disk_gib=result.disk_gib, shared_storage=result.shared_storage,
                       guest_state=result.guest_state, policy=result.policy)
    else:
        precopy(result.vm, result.link, result.policy)
    return 1000 * (time.process_time() - start)


def measure(name: str, steps: int) -> list[dict]:
    app = getattr(vmlab, name)()
    rows = []
    pooled = {"wall": [], "cpu": [], "model": []}
    for control_name, control in app.controls.items():
        initial = control.value
        wall, cpu, model = [], [], []
        for value in _values(control, steps):
            if value == control.value:
                continue
            w0, c0 = time.perf_counter(), time.process_time()
            control.value = value  # runs the callback: model + redraw + readout
            cpu.append(1000 * (time.process_time() - c0))
            wall.append(1000 * (time.perf_counter() - w0))
            model.append(_model_cpu_ms(app))
        control.value = initial
        rows.append(_row(name, control_name, wall, cpu, model))
        for key, values in (("wall", wall), ("cpu", cpu), ("model", model)):
            pooled[key].extend(values)
    rows.append(_row(name, "ALL CONTROLS", pooled["wall"], pooled["cpu"], pooled["model"]))
    return rows


def _row(explorer: str, control: str, wall: list, cpu: list, model: list) -> dict:
    return {
        "explorer": explorer,
        "control": control,
        "n": len(wall),
        "median ms": float(np.median(wall)),
        "p90 ms": float(np.percentile(wall, 90)),
        "max ms": float(np.max(wall)),
        "median cpu ms": float(np.median(cpu)),
        "p90 cpu ms": float(np.percentile(cpu, 90)),
        "model cpu ms": float(np.median(model)) if np.isfinite(model).any() else float("nan"),
    }


def print_table(rows: list[dict]) -> None:
    headers = list(rows[0])
    cells = [[r[h] if isinstance(r[h], str) else (f"{r[h]}" if isinstance(r[h], int) else f"{r[h]:.1f}") for h in headers]
             for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) if i < 2 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths)))
    print(line)
    print("-" * len(line))
    previous = None
    for r, c in zip(rows, cells):
        if previous is not None and r["explorer"] != previous:
            print()
        previous = r["explorer"]
        print("  ".join(v.ljust(w) if i < 2 else v.rjust(w) for i, (v, w) in enumerate(zip(c, widths))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="slider positions per sweep direction (default 40)")
    parser.add_argument("--slow-steps", type=int, default=6, help="the same for the explorers that update on release (default 6)")
    parser.add_argument("--only", nargs="*", help="explorer names to measure (default: all)")
    args = parser.parse_args()
    print("Explorer callbacks (set a control -> model + FigureWidget batch_update + readout).")
    print("Goal: median < 20 ms. Wall time includes waiting for a busy CPU; numbers from a busy machine")
    print("are pessimistic. 'model cpu ms' is the model call alone.\n")
    rows = []
    for name in FAST + SLOW:
        if args.only and name not in args.only:
            continue
        if not hasattr(vmlab, name):
            print(f"({name} not in this version of vmlab)")
            continue
        rows.extend(measure(name, args.slow_steps if name in SLOW else args.steps))
    print_table(rows)
    print("\nmedian per explorer (all controls):")
    for r in rows:
        if r["control"] == "ALL CONTROLS":
            print(f"  {r['explorer']:<26} wall {r['median ms']:7.1f} ms   cpu {r['median cpu ms']:7.1f} ms")


if __name__ == "__main__":
    main()
