"""VM migration models: live pre-copy and cold migration."""

from vmlab.migration.cold import COLD_STEPS, ColdPolicy, ColdResult, cold_migration
from vmlab.migration.compare import live_vs_cold_grid, live_vs_cold_table
from vmlab.migration.dirty import dirtied_mib
from vmlab.migration.params import DIRTY_PATTERNS, VM, Host, Link, PrecopyPolicy
from vmlab.migration.precopy import PrecopyResult, precopy, precopy_grid

__all__ = [
    "VM", "Link", "Host", "PrecopyPolicy", "DIRTY_PATTERNS", "precopy", "precopy_grid", "PrecopyResult",
    "cold_migration", "ColdPolicy", "ColdResult", "COLD_STEPS", "dirtied_mib", "live_vs_cold_table", "live_vs_cold_grid",
]
