"""Terraform's value semantics shared by the evaluator and the functions: conversions, comparisons,
and the two ways a step fails (Unknowable: the value cannot be known; EvalError: Terraform would
reject it).
"""
from __future__ import annotations

import math
import re
from typing import Any, Iterable, Iterator

from eice_checks.model.values import EntityRef, Unknown

from .scope import Traversable

_NUMERIC_STRING_RE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")

ERROR = "error: "  # reason prefix of Unknowns that stand for a Terraform error (try/can skip them)


class Unknowable(Exception):
    """Raised by helpers to make the node being evaluated Unknown."""

    def __init__(self, value: Unknown) -> None:
        super().__init__(value.reason)
        self.value = value


class EvalError(Exception):
    """Something Terraform would reject; the node becomes Unknown("error: ...")."""


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def unknowable(value: Any, use: str) -> None:
    """Raise Unknowable when value is Unknown or opaque (an entity identity, a lazy object)."""
    if isinstance(value, Unknown):
        raise Unknowable(value)
    if isinstance(value, (EntityRef, Traversable)):
        raise Unknowable(Unknown(f"{use} of {type(value).__name__}"))


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def normalize(number: int | float) -> int | float:
    """Integral results are ints: Terraform numbers are exact, so 4/2 is 2."""
    if isinstance(number, float) and number.is_integer():
        return int(number)
    return number


def number_literal(text: str) -> int | float:
    """A number token, or a string that reads as one (the same digits either way)."""
    try:
        return int(text)
    except ValueError:
        return normalize(float(text))


def to_number(value: Any) -> int | float:
    if is_number(value):
        return value
    unknowable(value, "number")
    if isinstance(value, str) and _NUMERIC_STRING_RE.fullmatch(value):
        return number_literal(value)
    raise EvalError(f"a number is required, got {type_name(value)} {value!r}")


def to_int(value: Any) -> int:
    number = normalize(to_number(value))
    if isinstance(number, float):
        raise EvalError(f"a whole number is required, got {number}")
    return number


def to_index(value: Any) -> int:
    number = to_int(value)
    if number < 0:
        raise EvalError(f"negative index {number}")
    return number


def as_bool(value: Any) -> bool | Unknown:
    """Terraform's conversion to bool; Unknown (not raised) when the value cannot be known."""
    if isinstance(value, (bool, Unknown)):
        return value
    if isinstance(value, (EntityRef, Traversable)):
        return Unknown(f"bool of {type(value).__name__}")
    if value in ("true", "false"):
        return value == "true"
    raise EvalError(f"a bool is required, got {type_name(value)}")


def to_bool(value: Any) -> bool:
    result = as_bool(value)
    if isinstance(result, Unknown):
        raise Unknowable(result)
    return result


def _format_number(number: int | float) -> str:
    if isinstance(number, int):
        return str(number)
    if not math.isfinite(number):
        raise EvalError("number is not finite")
    if number.is_integer():
        return str(int(number))
    # 15 significant digits hide binary rounding noise (0.1 + 0.2 renders "0.3"), no exponent
    from decimal import Decimal  # (imported here: a fraction rendered as text is rare)

    return format(Decimal(format(number, ".15g")), "f")


def render(value: Any) -> str:
    """Terraform's conversion to string, as in template interpolation."""
    if isinstance(value, str):
        return value
    unknowable(value, "string")
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        return _format_number(value)
    raise EvalError(f"cannot convert {type_name(value)} to string")


def map_key(value: Any) -> str:
    if value is None:
        raise EvalError("map key is null")
    return render(value)


def equal(a: Any, b: Any) -> bool | Unknown:
    """Deep equality without conversions (1 == "1" is false); Unknown when it cannot be decided."""
    for value in (a, b):
        if isinstance(value, Unknown):
            return value
        if isinstance(value, Traversable):
            return Unknown("comparison of an object")
    if is_number(a) and is_number(b):
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        if a.keys() != b.keys():
            return False
        return decide((equal(a[key], b[key]) for key in a), decisive=False)
    if isinstance(a, list):
        return len(a) == len(b) and decide((equal(x, y) for x, y in zip(a, b)), decisive=False)
    return a == b


def decide(results: Iterable[bool | Unknown], decisive: bool) -> bool | Unknown:
    """Three-valued any (decisive=True) or all (decisive=False): ``decisive`` as soon as one result
    is, else the first Unknown (a later result might have decided), else ``not decisive``."""
    undecided: Unknown | None = None
    for result in results:
        if result is decisive:
            return decisive
        if isinstance(result, Unknown) and undecided is None:
            undecided = result
    return not decisive if undecided is None else undecided


def unknowns(value: Any) -> Iterator[Unknown]:
    if isinstance(value, Unknown):
        yield value
    elif isinstance(value, (list, dict)):
        for item in value.values() if isinstance(value, dict) else value:
            yield from unknowns(item)


def has_error(value: Any) -> bool:
    return any(unknown.reason.startswith(ERROR) for unknown in unknowns(value))


def require_known(value: Any, refs_ok: bool = True) -> None:
    """Raise Unknowable when any nested element is Unknown (or opaque, unless refs_ok)."""
    if isinstance(value, (list, dict)):
        for item in value.values() if isinstance(value, dict) else value:
            require_known(item, refs_ok)
    elif isinstance(value, Unknown) or not refs_ok:
        unknowable(value, "value")


def require_list(value: Any, function: str) -> list[Any]:
    if isinstance(value, list):
        return value
    unknowable(value, function)
    raise EvalError(f"{function}: a list is required, got {type_name(value)}")


def require_map(value: Any, function: str) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    unknowable(value, function)
    raise EvalError(f"{function}: a map is required, got {type_name(value)}")

