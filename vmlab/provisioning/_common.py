"""Pieces every built-in strategy shares: VM start-up figures, the process-steps table, group bounds."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from vmlab._checks import Params, check_order, integer
from vmlab.provisioning.protocol import VM_LIMIT

__all__ = ["VM_STARTUP_S", "DAY_S", "steps_frame", "Elastic", "ceil_count"]

VM_STARTUP_S: dict[str, float] = {
    "EC2 Linux (2012)": 96.9,
    "EC2 Windows (2012)": 810.2,
    "Rackspace Linux (2012)": 44.2,
    "Azure role (2012, low)": 357.0,
    "Azure role (2012, high)": 406.0,
}
"""VM start-up times in seconds from Mao & Humphrey, "A Performance Study on the VM Startup
Time in the Cloud", IEEE CLOUD 2012 (small instances, measured 2011-12: dated; today's clouds
start a Linux VM in tens of seconds). Each figure runs from the request to a usable VM, so it
already contains the provider's allocation time."""

DAY_S = 86400.0


def ceil_count(x: float) -> int:
    """ceil(x) for a VM count, forgiving floating-point noise: ceil(4.000000000001) is 4.

    >>> ceil_count(4.000000000001), ceil_count(4.2)
    (4, 5)
    """
    return int(math.ceil(x - 1e-9))


def steps_frame(rows: list[tuple[str, float, str, bool]]) -> pd.DataFrame:
    """Turn (step, duration_s, actor, billed) rows into a table with cumulative start times.

    >>> steps_frame([("boot", 60.0, "cloud", True), ("serve", 1.0, "app", True)])["start_s"].tolist()
    [0.0, 60.0]
    """
    start = 0.0
    out = []
    for step, duration, actor, billed in rows:
        out.append({"step": step, "start_s": start, "duration_s": float(duration), "actor": actor, "billed": billed})
        start += duration
    return pd.DataFrame(out)


@dataclass(frozen=True, kw_only=True)
class Elastic(Params):
    """Bounds of an elastic group: ``min_vms`` <= VMs <= ``max_vms``, and where it starts.

    ``initial_vms=None`` starts with just enough VMs for the first demand sample at the
    strategy's own aim (:meth:`initial`). VM counts are bounded by :data:`VM_LIMIT`.
    """

    min_vms: int = integer(1, minimum=0, maximum=VM_LIMIT)
    max_vms: int = integer(50, minimum=1, maximum=VM_LIMIT)
    initial_vms: int | None = integer(None, minimum=0, maximum=VM_LIMIT, allow_none=True)

    kind = "Dynamic"
    trigger = "Workload metrics"
    timing = "Real-time"
    flexibility = "Maximum (Elastic)"

    def _check_together(self) -> None:
        name = type(self).__name__
        check_order(f"{name}.min_vms", self.min_vms, f"{name}.max_vms", self.max_vms, strict=False)
        if self.initial_vms is not None and not self.min_vms <= self.initial_vms <= self.max_vms:
            raise ValueError(
                f"{name}.initial_vms must lie between min_vms ({self.min_vms}) and max_vms ({self.max_vms}); "
                f"got {self.initial_vms}"
            )

    def _aim(self) -> float:
        """Utilisation the strategy sizes its first group for (override)."""
        return 0.6

    @property
    def boot_s(self) -> float:
        """From the launch request to a serving VM, s: ``allocation_s`` + ``warmup_s``."""
        return self.allocation_s + self.warmup_s

    def _monitoring(self) -> tuple[float, str]:
        """How long monitoring takes to see a breach (s), and who watches (override)."""
        raise NotImplementedError

    def steps(self) -> pd.DataFrame:
        """The four steps of dynamic provisioning in the lecture notes, with this policy's timings (s)."""
        watch_s, watcher = self._monitoring()
        return steps_frame(
            [
                ("Policy definition", 0.0, "user", False),
                ("Continuous monitoring", watch_s, watcher, False),
                ("Trigger execution", 1.0, "autoscaler", False),
                ("Automated scaling (warm-up)", self.boot_s, "autoscaler", True),
            ]
        )

    def initial(self, demand_rps: float, capacity_per_vm: float) -> int:
        """VMs serving when the trace starts: ``initial_vms``, or ceil(demand / (capacity x aim)).

        >>> from vmlab import ThresholdAutoscaler
        >>> ThresholdAutoscaler().initial(1100.0, 100.0)   # aim: midpoint of 30 % and 80 %
        20
        """
        if self.initial_vms is not None:
            return self.initial_vms
        need = ceil_count(demand_rps / (capacity_per_vm * self._aim()))
        return int(min(max(need, self.min_vms), self.max_vms))
