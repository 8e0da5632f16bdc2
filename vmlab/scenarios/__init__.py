"""Why migrate: the four reasons of the course text as decisions with numbers.

* :mod:`~vmlab.scenarios.evacuation`: zero-downtime maintenance (empty a host).
* :mod:`~vmlab.scenarios.balancing`: load balancing (which VM to move, and what it costs).
* :mod:`~vmlab.scenarios.consolidation`: server consolidation (energy saved vs spent).
* :mod:`~vmlab.scenarios.fault_tolerance`: leave a host that warns it will fail.
"""

from vmlab.scenarios.balancing import BalanceResult, PlacedVM, balance_load, demo_hot_host
from vmlab.scenarios.consolidation import ConsolidationResult, HostPower, consolidate, demo_quiet_pool, first_fit_decreasing
from vmlab.scenarios.evacuation import ORDERS, EvacuationResult, compare_evacuations, evacuate, migrate_fleet, random_fleet
from vmlab.scenarios.fault_tolerance import EscapeResult, escape_curve, escape_failing_host

__all__ = [
    "ORDERS", "EvacuationResult", "evacuate", "compare_evacuations", "random_fleet", "migrate_fleet",
    "PlacedVM", "BalanceResult", "balance_load", "demo_hot_host",
    "HostPower", "ConsolidationResult", "consolidate", "first_fit_decreasing", "demo_quiet_pool",
    "EscapeResult", "escape_failing_host", "escape_curve",
]
