"""Who drives QEMU decides how fast each migration may send: bare QEMU or libvirt (and Nova).

QEMU rate-limits every pre-copy migration to its ``max-bandwidth`` parameter, **128 MiB/s by
default** (``MAX_THROTTLE``, ``128 << 20`` bytes/s, in ``migration/options.c``; 32 MiB/s in older
releases). That default is what you get when you drive QEMU yourself over QMP. Clouds do not:
libvirt sets ``max-bandwidth`` to its maximum, ``QEMU_DOMAIN_MIG_BANDWIDTH_MAX``
(``INT64_MAX / 1 MiB``, ``src/qemu/qemu_domain.h``), unless the operator sets one
(``virsh migrate-setspeed``, ``virsh migrate --bandwidth``). OpenStack Nova drives QEMU through
libvirt and leaves it there unless ``[libvirt] live_migration_bandwidth`` is set
(``nova/conf/libvirt.py``; its default 0 leaves the choice to the hypervisor, i.e. libvirt's
maximum); Nova also runs one live migration per host at a time by default
(``max_concurrent_live_migrations = 1``, ``nova/conf/compute.py``). An uncapped migration takes
whatever share of the link it gets.

The cap changes what a migration plan should do: with it, one migration leaves most of a fast
link idle and running several at once empties a host sooner; without it, one migration already
fills the link, and running several only slices it (each re-sends more dirty pages).

>>> stack_policy("qemu").max_bandwidth_mib_s, stack_policy("libvirt").max_bandwidth_mib_s is None
(128.0, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from vmlab._checks import check_choice
from vmlab.migration.params import VM, Link, PrecopyPolicy

__all__ = ["STACKS", "stack_policy", "evacuation_by_stack"]

STACKS: dict[str, str] = {
    "qemu": "bare QEMU (128 MiB/s per migration)",
    "libvirt": "libvirt / Nova (uncapped)",
}
"""The management stacks a notebook can choose, with the label tables and figures use."""

QEMU_DEFAULT_MAX_BANDWIDTH_MIB_S = 128.0
"""QEMU's default ``max-bandwidth`` in MiB/s (``MAX_THROTTLE`` in ``migration/options.c``)."""


def stack_policy(stack: str = "libvirt", **overrides: Any) -> PrecopyPolicy:
    """QEMU's pre-copy policy with the rate cap of the stack that drives it.

    Parameters
    ----------
    stack : {"libvirt", "qemu"}
        ``"qemu"``: bare QEMU, ``max-bandwidth`` 128 MiB/s per migration. ``"libvirt"``:
        libvirt (and OpenStack Nova on top of it) lifts the cap, so each migration runs at the
        link speed it gets (``max_bandwidth_mib_s=None``).
    **overrides
        Any other :class:`~vmlab.PrecopyPolicy` field, e.g. ``on_timeout="force"``.

    Returns
    -------
    PrecopyPolicy
        :meth:`PrecopyPolicy.qemu` or :meth:`PrecopyPolicy.libvirt`, named after the stack.

    Examples
    --------
    >>> p = stack_policy("libvirt", on_timeout="force")
    >>> p.max_bandwidth_mib_s is None, p.on_timeout, p.downtime_limit_ms
    (True, 'force', 300.0)
    >>> stack_policy("vmware")
    Traceback (most recent call last):
    ...
    ValueError: stack must be one of 'qemu', 'libvirt'; got 'vmware'
    """
    check_choice("stack", stack, tuple(STACKS))
    preset = PrecopyPolicy.qemu if stack == "qemu" else PrecopyPolicy.libvirt
    return preset(**{"name": STACKS[stack], **overrides})


def evacuation_by_stack(
    vms: Sequence[VM],
    link: Link,
    *,
    parallel: Sequence[int] = (1, 2, 4, 8),
    order: str = "shortest_first",
    stacks: Sequence[str] = ("qemu", "libvirt"),
    **overrides: Any,
) -> pd.DataFrame:
    """Time to empty a host (s) for each stack (rows) and number of migrations at once (columns).

    One :func:`~vmlab.evacuate` per cell, with :func:`stack_policy` (``on_timeout="force"``
    unless ``overrides`` say otherwise, as for a maintenance that must empty the host).

    >>> fleet = [VM(memory_mib=4096, dirty_rate_mib_s=20, wws_mib=1024)] * 4
    >>> t = evacuation_by_stack(fleet, Link(bandwidth_mib_s=1192), parallel=(1, 4))
    >>> t.columns.tolist()
    ['1 at a time', '4 at once']
    >>> bool(t.iloc[0, 1] < t.iloc[0, 0]), bool(t.iloc[1, 0] < t.iloc[1, 1])   # capped: parallel helps; uncapped: it does not
    (True, True)
    """
    from vmlab.scenarios.evacuation import evacuate

    overrides = {"on_timeout": "force", **overrides}
    ks = [int(k) for k in parallel]
    rows = {}
    for stack in stacks:
        policy = stack_policy(stack, **overrides)
        rows[STACKS[stack]] = {
            ("1 at a time" if k == 1 else f"{k} at once"): evacuate(vms, link, policy, parallel=k, order=order).time_to_empty_s
            for k in ks
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "time to empty the host (s)"
    return table.round(1)
