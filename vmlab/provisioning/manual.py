"""Self-service (on-demand) provisioning: a person watches the load and adds VMs by hand."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from vmlab._checks import check_order, number
from vmlab.provisioning._common import Elastic, ceil_count, steps_frame
from vmlab.provisioning.protocol import Observation

__all__ = ["SelfService"]


@dataclass(frozen=True, kw_only=True)
class SelfService(Elastic):
    """Self-service (on-demand) provisioning: a person watches the load and adds VMs by hand.

    The person looks at the dashboard every ``check_interval_s``. If the offered load needs
    more VMs than they have (at ``target_utilisation``), or at most ``scale_in_below`` of the
    running capacity is used, they decide on the VM count ceil(demand / (capacity x
    target_utilisation)). Acting takes ``reaction_delay_s`` (noticing, getting to a keyboard),
    then the four steps of the lecture notes:

    1. Login & selection (``login_selection_s``): the cloud console, pick a resource type.
    2. Configuration (``configuration_s``): OS, RAM, storage.
    3. Automated allocation (``allocation_s``): the orchestrator carves the VM out of the pool
       (EC2's ``pending`` state: not billed).
    4. Initialisation (``initialisation_s``): billing starts (EC2 ``running``) and the VM boots
       and is handed over.

    Releasing VMs takes only the reaction delay. VMs are billed at the on-demand price.

    Examples
    --------
    >>> s = SelfService(check_interval_s=3600, reaction_delay_s=600)
    >>> s.provisioning_latency_s   # reaction + the four steps
    936.9
    """

    check_interval_s: float = number(3600.0, minimum=1, maximum=7 * 86400)
    reaction_delay_s: float = number(600.0, minimum=0, maximum=7 * 86400)
    login_selection_s: float = number(60.0, minimum=0, maximum=86400)
    configuration_s: float = number(120.0, minimum=0, maximum=86400)
    allocation_s: float = number(60.0, minimum=0, maximum=86400)
    initialisation_s: float = number(96.9, minimum=0, maximum=86400)
    target_utilisation: float = number(0.6, minimum=0, maximum=1, min_inclusive=False)
    scale_in_below: float = number(0.3, minimum=0, maximum=1)

    kind = "Self-service"
    trigger = "User request"
    timing = "Immediate"
    flexibility = "High (Manual)"

    def _check_together(self) -> None:
        super()._check_together()
        check_order("SelfService.scale_in_below", self.scale_in_below, "SelfService.target_utilisation", self.target_utilisation)

    @property
    def name(self) -> str:
        return f"Self-service (every {self.check_interval_s / 60:.0f} min)"

    @property
    def period_s(self) -> float:
        """The person's check interval, s."""
        return self.check_interval_s

    @property
    def launch_delay_s(self) -> float:
        """From the decision to the accepted launch request, s."""
        return self.reaction_delay_s + self.login_selection_s + self.configuration_s

    @property
    def warmup_s(self) -> float:
        """From ``running`` (billing starts) to a serving VM: the initialisation, s."""
        return self.initialisation_s

    @property
    def boot_s(self) -> float:
        """From the launch request to a serving VM: allocation plus initialisation, s."""
        return self.allocation_s + self.initialisation_s

    @property
    def release_delay_s(self) -> float:
        return self.reaction_delay_s

    @property
    def provisioning_latency_s(self) -> float:
        """From the decision to a serving VM: reaction delay plus the four steps, s."""
        return self.launch_delay_s + self.boot_s

    def _aim(self) -> float:
        return self.target_utilisation

    def steps(self) -> pd.DataFrame:
        """The four self-service steps of the lecture notes, after the person's reaction delay (s)."""
        return steps_frame(
            [
                ("Noticing the load (reaction)", self.reaction_delay_s, "user", False),
                ("Login & selection", self.login_selection_s, "user", False),
                ("Configuration", self.configuration_s, "user", False),
                ("Automated allocation", self.allocation_s, "orchestrator", False),
                ("Initialisation (billing starts)", self.initialisation_s, "orchestrator", True),
            ]
        )

    def decide(self, obs: Observation) -> int:
        """Size for the demand on the dashboard; shrink only when little is used and nothing boots.

        >>> from vmlab.provisioning.protocol import Observation
        >>> obs = Observation(time_s=0.0, utilisation=1.0, demand_rps=2000.0, capacity_per_vm=100.0,
        ...                   vms_serving=10, vms_booting=0, vms_owned=10, vms_reserved=0, memory={})
        >>> SelfService(max_vms=100).decide(obs)     # ceil(2000 / (100 x 0.6))
        34
        """
        own = obs.vms_owned
        need = ceil_count(obs.demand_rps / (obs.capacity_per_vm * self.target_utilisation)) - obs.vms_reserved
        need = min(max(need, self.min_vms), self.max_vms)
        if need > own or (obs.utilisation <= self.scale_in_below and need < own and obs.vms_booting == 0):
            return need
        return own
