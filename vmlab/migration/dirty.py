"""Dirtying models: how much memory a guest dirties in a round of length ``t``.

All functions are vectorised over numpy arrays (scalars work too).

With write rate D (MiB/s) over a region W (MiB):

- working set / constant: ``min(D·t, W)`` (a constant-rate writer whose dirty set saturates at
  the working set; with W = all of memory this is the geometric model of Liu et al. 2011),
- uniform random writes: ``W·(1 - exp(-D·t / W))`` (unique pages hit by D·t random writes of
  one page each, the expected value of a balls-into-bins count).

An infinite rate means the whole region is dirty after any positive time.

>>> float(dirtied_mib(2.0, 10.0, 512.0, uniform=False))
20.0
>>> float(dirtied_mib(100.0, 10.0, 512.0, uniform=False))
512.0
>>> round(float(dirtied_mib(51.2, 10.0, 512.0, uniform=True)), 1)   # 512·(1 - 1/e)
323.6
"""

from __future__ import annotations

import numpy as np

__all__ = ["dirtied_mib"]


def dirtied_mib(t_s, rate_mib_s, region_mib, uniform) -> np.ndarray:
    """Unique memory dirtied during ``t_s`` seconds, in MiB (see the module docstring).

    Parameters
    ----------
    t_s : array_like
        Round length in seconds (>= 0).
    rate_mib_s : array_like
        Write rate in MiB/s (>= 0, may be ``inf``).
    region_mib : array_like
        Region written to, in MiB (>= 0; 0 means nothing is written).
    uniform : array_like of bool
        ``True`` for uniform random writes, ``False`` for the working-set model.
    """
    t = np.asarray(t_s, dtype=float)
    rate = np.asarray(rate_mib_s, dtype=float)
    region = np.asarray(region_mib, dtype=float)
    with np.errstate(invalid="ignore"):
        writes = np.where((t > 0) & (rate > 0), rate * t, 0.0)
    linear = np.minimum(writes, region)
    if not np.any(uniform):
        return linear
    with np.errstate(invalid="ignore", divide="ignore"):
        random = np.where(region > 0, region * -np.expm1(-writes / region), 0.0)
    return np.where(uniform, random, linear)
