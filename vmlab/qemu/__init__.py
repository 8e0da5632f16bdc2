"""Real live migrations between two local QEMU processes, measured (see ``harness.py``).

>>> from vmlab.qemu import run_migration, qemu_available
>>> callable(run_migration), isinstance(qemu_available(), bool)
(True, True)
"""

from vmlab.qemu.harness import (
    MeasuredMigration,
    QemuUnavailable,
    build_guest,
    missing_tools,
    qemu_available,
    qemu_version,
    run_migration,
)

__all__ = [
    "MeasuredMigration",
    "QemuUnavailable",
    "build_guest",
    "missing_tools",
    "qemu_available",
    "qemu_version",
    "run_migration",
]
