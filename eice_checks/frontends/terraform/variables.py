"""Terraform's type system for input variables: a variable's value (a tfvars entry, a module input,
its default) becomes what Terraform makes of it before any expression reads it.

- ``type``: the conversions Terraform applies (cty's): ``"true"``/``"1"`` to ``true`` for a bool,
  ``"22"`` to ``22`` for a number, numbers and bools to strings; ``list``/``set``/``map``/``tuple``/
  ``object`` element by element; a set loses its duplicates and is ordered (strings lexically,
  numbers by value); an object drops attributes its type does not name, and an ``optional(type,
  default)`` attribute that is absent or null takes its default (nested ones too).
- ``nullable = false``: a null value falls back to the default.
- ``validation`` blocks: a value whose condition is false makes the plan fail. Such a value is
  Unknown (``error: ...``): it never produces a finding.

A value that cannot be converted is Unknown ``error: ...`` as well (Terraform rejects the plan).
What cannot be known (an Unknown element, an entity's id where a number is asked) stays Unknown; a
value whose type is not understood is passed on unconverted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from ...model.values import EntityRef, Unknown
from .expressions.conversions import ERROR, EvalError, render, type_name
from .expressions.evaluate import evaluate, parsed
from .expressions.scope import Traversable
from .expressions.syntax import (
    Expr, FunctionCall, HclExpressionError, Literal, ObjectExpr, Parens, Template, TupleExpr, Variable,
)
from .hcl import Attribute, Block

# A type: ("any",) ("string",) ("number",) ("bool",) ("list", T) ("set", T) ("map", T)
# ("tuple", [T, ...]) ("object", {name: (T, optional, default)}); None when it is not understood.
Type = tuple
ANY: Type = ("any",)
_PRIMITIVES = ("string", "number", "bool", "any")
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NO_DEFAULT = object()


class ConversionError(Exception):
    pass


@dataclass
class VariableSpec:
    """What a ``variable`` block declares besides its default."""

    type: Optional[Type] = None  # None: no type, or one not understood (the value is left as it is)
    nullable: bool = True
    validations: list[Attribute] = field(default_factory=list)  # conditions


def variable_spec(block: Block) -> VariableSpec:
    attributes = block.body.attributes
    spec = VariableSpec()
    if "type" in attributes:
        spec.type = parse_type(attributes["type"].source)
    nullable = attributes.get("nullable")
    if nullable is not None and nullable.source.strip() == "false":
        spec.nullable = False
    for nested in block.body.blocks:
        if nested.type == "validation" and "condition" in nested.body.attributes:
            spec.validations.append(nested.body.attributes["condition"])
    return spec


def parse_type(source: str) -> Optional[Type]:
    expr = parsed(source)
    if isinstance(expr, HclExpressionError):
        return None
    try:
        return _type(expr, 0)
    except ConversionError:
        return None


def _type(expr: Expr, depth: int) -> Type:
    if depth > 32:
        raise ConversionError("type nested too deep")
    while isinstance(expr, Parens):
        expr = expr.expr
    if isinstance(expr, Variable) and expr.name in _PRIMITIVES:
        return (expr.name,)
    if isinstance(expr, FunctionCall):
        if expr.name in ("list", "set", "map") and len(expr.args) == 1:
            return (expr.name, _type(expr.args[0], depth + 1))
        if expr.name == "tuple" and len(expr.args) == 1 and isinstance(expr.args[0], TupleExpr):
            return ("tuple", [_type(item, depth + 1) for item in expr.args[0].items])
        if expr.name == "object" and len(expr.args) == 1 and isinstance(expr.args[0], ObjectExpr):
            attributes = {}
            for key, value in expr.args[0].items:
                attributes[_key(key)] = _attribute_type(value, depth + 1)
            return ("object", attributes)
    raise ConversionError("not a type")


def _attribute_type(expr: Expr, depth: int) -> tuple[Type, bool, Any]:
    if isinstance(expr, FunctionCall) and expr.name == "optional" and 1 <= len(expr.args) <= 2:
        attribute_type = _type(expr.args[0], depth)
        if len(expr.args) == 1:
            return attribute_type, True, None
        default = evaluate(expr.args[1], _Constants())
        return attribute_type, True, convert(default, attribute_type)  # Terraform converts it once, up front
    return _type(expr, depth), False, None


def _key(expr: Expr) -> str:
    while isinstance(expr, Parens):
        expr = expr.expr
    if isinstance(expr, Variable):
        return expr.name
    if isinstance(expr, Literal) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, Template) and len(expr.parts) == 1 and isinstance(expr.parts[0], Literal):
        return str(expr.parts[0].value)
    raise ConversionError("attribute name")


class _Constants:
    def resolve_root(self, name: str) -> Any:
        return Unknown(f"{name}: a type's default cannot refer to other values")


# -- conversion -------------------------------------------------------------------------------------
def convert(value: Any, target: Optional[Type], step: Callable[[int], None] = lambda n: None) -> Any:
    """``value`` as Terraform converts it to ``target``; ConversionError when Terraform rejects it.
    Unknown parts stay Unknown; ``step`` is charged one per element gone through."""
    if target is None or value is None or isinstance(value, Unknown):
        return value
    kind = target[0]
    if kind == "any":
        return _unify(value) if isinstance(value, list) else value
    if kind in ("string", "number", "bool"):
        return _primitive(value, kind)
    if isinstance(value, Traversable):
        return value  # an object Terraform builds (a resource, a module's outputs): left as it is
    step(1 + (len(value) if isinstance(value, (list, dict)) else 0))
    if kind in ("list", "set"):
        if not isinstance(value, list):
            raise ConversionError(f"a {kind} is required, got {_name(value)}")
        items = [convert(item, target[1], step) for item in value]
        if target[1] == ANY:
            items = _unify(items)
        return _as_set(items) if kind == "set" else items
    if kind == "tuple":
        if not isinstance(value, list) or len(value) != len(target[1]):
            raise ConversionError(f"a tuple of {len(target[1])} elements is required")
        return [convert(item, t, step) for item, t in zip(value, target[1])]
    if kind == "map":
        if not isinstance(value, dict):
            raise ConversionError(f"a map is required, got {_name(value)}")
        return {k: convert(v, target[1], step) for k, v in value.items()}
    if kind == "object":
        if not isinstance(value, dict):
            raise ConversionError(f"an object is required, got {_name(value)}")
        result = {}
        for name, (attribute_type, optional, default) in target[1].items():
            given = value.get(name)
            if name not in value and not optional:
                raise ConversionError(f"attribute {name!r} is required")
            if given is None:
                result[name] = default if optional else None
            else:
                result[name] = convert(given, attribute_type, step)
        return result
    return value


def _primitive(value: Any, kind: str) -> Any:
    if isinstance(value, EntityRef):
        if kind == "string":
            return value  # an id is a string
        return Unknown(f"{kind} of {value.label or 'an id'}")
    if isinstance(value, Traversable):
        return Unknown(f"{kind} of an object")
    if isinstance(value, (list, dict)):
        raise ConversionError(f"a {kind} is required, got {_name(value)}")
    if kind == "string":
        try:
            return render(value)
        except EvalError as exc:
            raise ConversionError(str(exc)) from None
    if kind == "number":
        if isinstance(value, bool):
            raise ConversionError("a number is required, got bool")
        if isinstance(value, (int, float)):
            return value
        if isinstance(value, str) and _NUMBER_RE.fullmatch(value):
            number = float(value)
            return int(number) if number.is_integer() and abs(number) < 2 ** 53 else (
                int(value) if re.fullmatch(r"[+-]?[0-9]+", value) else number)
        raise ConversionError(f"cannot convert {value!r} to number")
    if isinstance(value, bool):
        return value
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise ConversionError(f"cannot convert {value!r} to bool")


def _unify(items: list[Any]) -> list[Any]:
    """Elements of ``list(any)``/``set(any)`` share one type: primitives of mixed kinds become
    strings (as tolist(["a", 1, true]) does)."""
    kinds = {_name(item) for item in items if item is not None and not isinstance(item, (Unknown, Traversable))}
    kinds = {"string" if k == "id" else k for k in kinds}
    if len(kinds) > 1 and "string" in kinds and kinds <= {"string", "number", "bool"}:
        return [item if item is None or isinstance(item, (Unknown, EntityRef)) else render(item) for item in items]
    return items


def _as_set(items: list[Any]) -> list[Any]:
    """Duplicates removed (elements holding Unknowns are kept: they may differ), ordered as
    Terraform orders a set: strings lexically, numbers by value."""
    seen: set[Any] = set()
    result = []
    for item in items:
        key = _freeze(item)
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        result.append(item)
    if all(isinstance(i, str) and not isinstance(i, EntityRef) for i in result):
        result.sort()
    elif all(isinstance(i, (int, float)) and not isinstance(i, bool) for i in result):
        result.sort()
    return result


def _freeze(value: Any) -> Any:
    """A hashable stand-in for a fully known value; None when it holds an Unknown or an object."""
    if isinstance(value, (Unknown, Traversable)):
        return None
    if isinstance(value, EntityRef):
        return ("ref", value.kind, value.key)
    if isinstance(value, list):
        parts = [_freeze(item) for item in value]
        return None if any(p is None for p in parts) else ("list", tuple(parts))
    if isinstance(value, dict):
        parts = [(k, _freeze(v)) for k, v in sorted(value.items())]
        return None if any(p[1] is None for p in parts) else ("map", tuple(parts))
    if value is None:
        return ("null",)
    return (type(value).__name__ if not isinstance(value, (int, float)) or isinstance(value, bool) else "n", value)


def _name(value: Any) -> str:
    """Terraform's name for the value's type; a resource's id counts as its own kind (a string
    Terraform knows only after apply)."""
    return "id" if isinstance(value, EntityRef) else type_name(value)


# -- a variable's final value -----------------------------------------------------------------------
def finish_variable(name: str, spec: VariableSpec, value: Any, default: Callable[[], Any],
                    validate: Callable[[Attribute, Any], Any], step: Callable[[int], None]) -> Any:
    """The value of variable ``name`` as expressions read it: ``value`` (``_NO_DEFAULT`` when none is
    given: then the default), made null-safe, converted, validated."""
    if value is MISSING or (value is None and not spec.nullable):
        value = default()
        if value is MISSING:
            return Unknown(f"variable {name} has no value")
        if value is None and not spec.nullable:
            return Unknown(f"{ERROR}variable {name} must not be null")
    if isinstance(value, Unknown):
        return value
    try:
        value = convert(value, spec.type, step)
    except ConversionError as exc:
        return Unknown(f"{ERROR}variable {name}: {exc}")
    except RecursionError:
        return Unknown(f"variable {name}: nested too deep to convert")
    for condition in spec.validations:
        if validate(condition, value) is False:
            return Unknown(f"{ERROR}variable {name}: the value fails its validation (the plan fails)")
    return value


MISSING = _NO_DEFAULT


class ValidatedVariable(Traversable):
    """``var`` inside a validation condition: the variable being validated holds the value being
    checked; any other one is read as usual."""

    def __init__(self, name: str, value: Any, lookup: Callable[[str], Any]) -> None:
        self.name = name
        self.value = value
        self.lookup = lookup

    def get_attr(self, name: str) -> Any:
        return self.value if name == self.name else self.lookup(name)
