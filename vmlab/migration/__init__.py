"""VM migration models: live pre-copy and cold migration; post-copy, auto-converge, compression and a page-level simulator."""

from vmlab.migration.cold import COLD_STEPS, ColdPolicy, ColdResult, cold_migration
from vmlab.migration.compare import live_vs_cold_grid, live_vs_cold_table
from vmlab.migration.dirty import dirtied_mib
from vmlab.migration.params import DIRTY_PATTERNS, VM, Host, Link, PrecopyPolicy
from vmlab.migration.precopy import PrecopyResult, precopy, precopy_grid, precopy_many
from vmlab.migration.autoconverge import AutoConvergePolicy, RoundsResult, autoconverge, run_rounds
from vmlab.migration.compression import Compression, compressed_precopy
from vmlab.migration.postcopy import METHODS, MethodComparison, PostcopyResult, compare_methods, postcopy
from vmlab.migration.pagesim import PagesimAgreement, PageSimResult, analytic_mix, pagesim_agreement, simulate_pages

__all__ = [
    "VM", "Link", "Host", "PrecopyPolicy", "DIRTY_PATTERNS", "precopy", "precopy_grid", "precopy_many", "PrecopyResult",
    "cold_migration", "ColdPolicy", "ColdResult", "COLD_STEPS", "dirtied_mib", "live_vs_cold_table", "live_vs_cold_grid",
    # beyond pre-copy
    "AutoConvergePolicy", "RoundsResult", "autoconverge", "run_rounds", "Compression", "compressed_precopy",
    "METHODS", "MethodComparison", "PostcopyResult", "compare_methods", "postcopy",
    "PagesimAgreement", "PageSimResult", "analytic_mix", "pagesim_agreement", "simulate_pages",
]
