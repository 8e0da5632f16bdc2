"""How fast is the provisioning simulator, and is the explorer quick enough to drag?

Prints (never asserts) timings for:
* simulate_provisioning on a one-week trace at one-minute steps (10 080 steps), per strategy
  (the HPA decides every 15 s: four decisions per step);
* a run whose VM counts are huge (10^5 VMs, one group): the work does not grow with the VMs;
* generating a year of dev/test demand with 200 CI bursts a day;
* one explorer update (simulate a 2-day, 1-minute trace + redraw the FigureWidget), which
  should stay under 50 ms so the sliders can update continuously.

Run: python benchmarks/bench_provisioning.py
Numbers taken on a busy machine are pessimistic.
"""

from __future__ import annotations

import statistics
import time

import pandas as pd

from vmlab import (
    HPA,
    AdvanceReservation,
    AwsTargetTracking,
    SelfService,
    StepScaling,
    ThresholdAutoscaler,
    autoscaling_explorer,
    comparison_explorer,
    demand,
    provisioning_explorer,
    simulate_provisioning,
)


def timeit(fn, repeat: int = 7) -> tuple[float, float]:
    fn()  # warm up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times), min(times)


def main() -> None:
    week = demand.diurnal(days=7, seed=1)
    print(f"one-week trace: {len(week)} steps of {week.attrs['step_s']:.0f} s")
    med, best = timeit(lambda: demand.diurnal(days=7, seed=1))
    print(f"  generate diurnal(days=7)            median {med:7.1f} ms   best {best:7.1f} ms")
    strategies = {
        "ThresholdAutoscaler": ThresholdAutoscaler(),
        "HorizontalPodAutoscaler": HPA(),
        "StepScaling": StepScaling(),
        "AwsTargetTracking": AwsTargetTracking(),
        "SelfService": SelfService(),
        "AdvanceReservation": AdvanceReservation(reserved_vms=30),
        "Reservation + overflow": AdvanceReservation(reserved_vms=15, overflow_to_on_demand=True),
    }
    for name, strategy in strategies.items():
        med, best = timeit(lambda s=strategy: simulate_provisioning(week, s))
        print(f"  simulate {name:<26} median {med:7.1f} ms   best {best:7.1f} ms  ({1000 * med / len(week):.2f} us/step)")

    huge = pd.Series([1e15] * 10080)
    policy = ThresholdAutoscaler(max_vms=100_000, step_vms=100_000, initial_vms=1, warmup_s=0)
    med, best = timeit(lambda: simulate_provisioning(huge, policy))
    print(f"  simulate 10^5 VMs, 10^15 req/s          median {med:7.1f} ms   best {best:7.1f} ms")
    med, best = timeit(lambda: demand.dev_test(days=366, ci_bursts_per_day=200), repeat=3)
    print(f"  generate dev_test(days=366, 200 bursts/day) median {med:7.1f} ms   best {best:7.1f} ms")

    print("explorer update, 2-day trace at 1-minute steps (simulate + FigureWidget redraw; target < 50 ms):")
    app = autoscaling_explorer(days=2)
    values = [55, 60, 65, 70, 75, 85, 90, 95]  # percent
    times = []
    for _ in range(3):
        for v in values:
            app.controls["scale_out_above"].value = v
            times.append(app.last_update_ms)
    print(f"  autoscaling_explorer                median {statistics.median(times):7.1f} ms   max {max(times):7.1f} ms  ({len(times)} updates)")
    app = provisioning_explorer(days=2)
    times = []
    for v in range(5, 45, 2):
        app.controls["reserved_vms"].value = v
        times.append(app.last_update_ms)
    print(f"  provisioning_explorer (3 runs)      median {statistics.median(times):7.1f} ms   max {max(times):7.1f} ms  ({len(times)} updates)")
    app = comparison_explorer(days=2)
    times = []
    for v in [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]:
        app.controls["discount"].value = v
        times.append(app.last_update_ms)
    print(f"  comparison_explorer (5 runs)        median {statistics.median(times):7.1f} ms   max {max(times):7.1f} ms  ({len(times)} updates)")
    print("(the browser's own redraw comes on top; measured on a shared, busy machine: pessimistic)")


if __name__ == "__main__":
    main()
