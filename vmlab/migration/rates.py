"""Rates that follow from a pre-copy policy alone, without running a migration.

The live rounds of pre-copy send at ``R = efficiency × min(bandwidth, max_bandwidth)`` (MiB/s):
the policy's rate cap (QEMU's ``max-bandwidth``, none for Xen and libvirt) bounds the link, and
the policy's ``bandwidth_efficiency`` is the share of it the rounds achieve. Two boundaries of
the working-set model follow from it:

- the dirty set shrinks round after round only while the dirty rate stays below ``R``;
- a working set of W MiB fits in the downtime limit once ``W <= R × downtime limit``, which
  takes a link of at least ``W / (downtime limit × efficiency)`` MiB/s (and a cap above it).

The rule is the one :func:`vmlab.precopy` runs (:func:`vmlab.migration._rules.live_round_rate`),
so a figure can draw these boundaries from the policy it is given.

>>> from vmlab import PrecopyPolicy
>>> float(precopy_rate_mib_s(1192.0, PrecopyPolicy.qemu()))   # QEMU's 128 MiB/s cap
128.0
>>> round(working_set_bandwidth_mib_s(256.0, PrecopyPolicy.qemu()), 1)   # 256 MiB in 300 ms
853.3
"""

from __future__ import annotations

from vmlab._checks import check_number, check_type
from vmlab.migration._rules import inf_if_none, live_round_rate
from vmlab.migration.params import PrecopyPolicy

__all__ = ["precopy_rate_mib_s", "working_set_bandwidth_mib_s"]


def precopy_rate_mib_s(bandwidth_mib_s, policy: PrecopyPolicy):
    """Rate of the live pre-copy rounds over a link of ``bandwidth_mib_s``, MiB/s.

    ``R = bandwidth_efficiency × min(bandwidth, max_bandwidth)``; it equals
    :attr:`PrecopyResult.precopy_rate_mib_s` of a run under the same policy.

    Parameters
    ----------
    bandwidth_mib_s : float or array_like
        Link bandwidth (MiB/s); arrays give one rate per entry.
    policy : PrecopyPolicy
        Its ``max_bandwidth_mib_s`` (``None``: no cap) and ``bandwidth_efficiency``.

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> from vmlab import PrecopyPolicy
    >>> float(precopy_rate_mib_s(1192.0, PrecopyPolicy.qemu())), float(precopy_rate_mib_s(100.0, PrecopyPolicy.qemu()))
    (128.0, 100.0)
    >>> float(precopy_rate_mib_s(1192.0, PrecopyPolicy.libvirt()))   # no cap
    1192.0
    """
    check_type("policy", policy, PrecopyPolicy)
    return live_round_rate(bandwidth_mib_s, inf_if_none(policy.max_bandwidth_mib_s), policy.bandwidth_efficiency)


def working_set_bandwidth_mib_s(wws_mib: float, policy: PrecopyPolicy) -> float:
    """Link bandwidth from which a working set of ``wws_mib`` fits in the downtime limit, MiB/s.

    Solves ``W = R × downtime limit`` for the bandwidth with the rate of
    :func:`precopy_rate_mib_s` below its cap: ``W / (downtime_limit_ms / 1000) / efficiency``.
    Above it, QEMU's downtime rule converges at every dirty rate. The result ignores the cap:
    when it exceeds ``policy.max_bandwidth_mib_s`` no link is fast enough.

    Examples
    --------
    >>> from vmlab import PrecopyPolicy
    >>> working_set_bandwidth_mib_s(30.0, PrecopyPolicy.qemu())   # 30 MiB in 300 ms
    100.0
    """
    wws = check_number("wws_mib", wws_mib, minimum=0)
    check_type("policy", policy, PrecopyPolicy)
    return wws / (policy.downtime_limit_ms / 1000.0) / policy.bandwidth_efficiency
