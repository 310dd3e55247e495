"""Values that flow from front ends into the model.

A front end resolves a property to one of: a plain value (str, int, float, bool, None, list, dict),
an ``EntityRef`` naming something the scan declares (a security group, VPC, subnet...), or
``Unknown`` when the value cannot be known before deployment (a data source, an SSM parameter, an
unresolved variable). Rules treat ``Unknown`` as "cannot tell": it never yields an error finding.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Unknown:
    """A value that cannot be resolved statically; ``reason`` says why, for info notes and debugging."""

    reason: str = "unresolved"
    # True for a value the platform computes at deploy time (a resource attribute): it will exist,
    # only its content is unknown. False when it may as well be absent (a variable, a condition).
    computed: bool = False

    def __init__(self, reason: str = "unresolved", computed: bool = False) -> None:
        fields = self.__dict__  # (see eice_checks.model.network._FAST_INIT)
        fields["reason"], fields["computed"] = reason, computed


@dataclass(frozen=True)
class EntityRef:
    """The identity of a modelled entity, e.g. ``EntityRef("sg", "tf:net#aws_security_group.eice")``.

    Security groups outside the scan appear as their literal id (``EntityRef("sg", "sg-0abc")``):
    their identity is known, their rules are not.
    """

    kind: str
    key: str
    label: str = field(default="", compare=False)  # how messages name it, e.g. "aws_security_group.eice"

    def __init__(self, kind: str, key: str, label: str = "") -> None:
        fields = self.__dict__  # (see eice_checks.model.network._FAST_INIT)
        fields["kind"], fields["key"], fields["label"] = kind, key, label


# Python refuses str() of an integer past 4300 digits (sys.set_int_max_str_digits), in the middle of
# whatever message is being built: past this many bits (about 3900 digits) a number is named by its size.
_SHOWN_BITS = 13_000


def shown(value: Any) -> str:
    """``str(value)`` for a message, also for an integer too long for ``str()`` (from arithmetic)."""
    if isinstance(value, int) and value.bit_length() > _SHOWN_BITS:
        return f"a number of {int(value.bit_length() * 0.30103)} digits"
    return str(value)


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def contains_unknown(value: Any) -> bool:
    """True when the value or anything nested in it is Unknown."""
    if isinstance(value, Unknown):
        return True
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    return False
