"""Old name of :mod:`vmlab.figures.methods` (the migration-method figures); use that module.

Every name still works from here, with a ``DeprecationWarning``.
"""

from __future__ import annotations

import warnings


def __getattr__(name: str):
    """Any public name of :mod:`vmlab.figures.methods`, with a ``DeprecationWarning``."""
    from vmlab.figures import methods

    if name.startswith("__") or not hasattr(methods, name):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"vmlab.figures.beyond is deprecated: import {name} from vmlab.figures.methods",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(methods, name)

