"""The declarative parameter checks of vmlab._checks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from vmlab._checks import Params, check_int, check_number, check_type, instance, integer, number, text


@dataclass(frozen=True, kw_only=True)
class Pipe(Params):
    label: str = text()
    rate_mib_s: float = number(minimum=0, min_inclusive=False)
    lanes: int = integer(1, minimum=1, maximum=8)
    peer: object = instance((int, type(None)), None, what="anything")


@pytest.mark.parametrize(
    "call, error, shown",
    [
        (lambda: check_int("n", 10**400, maximum=5), ValueError, "1.00e+400"),
        (lambda: check_int("n", -(10**400), minimum=5), ValueError, "-1.00e+400"),
        (lambda: check_int("n", 1e308, maximum=1024), ValueError, "1.00e+308"),
        (lambda: check_number("x", 10**400, maximum=5), ValueError, "1.00e+400"),
        (lambda: check_number("x", 1e300, maximum=5), ValueError, "1e+300"),
        (lambda: check_int("n", 2.5), TypeError, "2.5"),
    ],
)
def test_huge_or_wrong_numbers_are_shown_short(call, error, shown):
    with pytest.raises(error) as info:
        call()
    assert shown in str(info.value) and len(str(info.value)) < 120


def test_required_fields_and_instances():
    with pytest.raises(TypeError):
        Pipe(rate_mib_s=1.0)  # label is required
    p = Pipe(label="a", rate_mib_s=2, lanes=3.0, peer=None)
    assert p.rate_mib_s == 2.0 and p.lanes == 3 and isinstance(p.lanes, int)
    with pytest.raises(TypeError, match="Pipe.label must be a string"):
        Pipe(label=3, rate_mib_s=1.0, peer=None)
    with pytest.raises(TypeError, match="Pipe.peer must be anything"):
        Pipe(label="a", rate_mib_s=1.0, peer="x")
    with pytest.raises(TypeError, match="vm must be a VM; got 'x' of type str"):
        check_type("vm", "x", int, "a VM")


def test_array_check_names_the_first_bad_value():
    spec = Pipe.field_spec("rate_mib_s")
    assert spec.check_array("Pipe.rate_mib_s", [1, 2]).dtype == float
    with pytest.raises(ValueError, match=r"Pipe.rate_mib_s values must be .*> 0; got -1 \(2 bad values\)"):
        spec.check_array("Pipe.rate_mib_s", np.array([1.0, -1.0, 0.0]))
    with pytest.raises(TypeError, match="Pipe.rate_mib_s"):
        spec.check_array("Pipe.rate_mib_s", np.array(["a"]))
