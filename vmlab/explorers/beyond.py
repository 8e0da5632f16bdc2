"""Deprecated: the migration-method explorers moved to :mod:`vmlab.explorers.methods`.

Importing a name from here still works and warns (``DeprecationWarning``); use ``vmlab.methods_explorer``
and friends, or ``vmlab.explorers.methods``.
"""

from __future__ import annotations

import warnings

_MOVED = {"methods_explorer", "autoconverge_explorer", "pagesim_explorer"}
__all__ = sorted(_MOVED)


def __getattr__(name: str):
    """The explorers of :mod:`vmlab.explorers.methods`, with a ``DeprecationWarning``."""
    if name in _MOVED:
        warnings.warn(f"vmlab.explorers.beyond is deprecated; import {name} from vmlab (or vmlab.explorers.methods)",
                      DeprecationWarning, stacklevel=2)
        from vmlab.explorers import methods

        return getattr(methods, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
