"""The syntax tree of an HCL2 native-syntax expression, and the error raised for bad syntax."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

# Parsing recurses once per nesting level (about eight Python frames), evaluation once per level of
# the tree (two or three): these bounds keep both far below the interpreter's recursion limit, which
# the CLI must not raise (it may run inside another tool's stack), while allowing any expression a
# human writes. The tree may be deeper than the nesting: ``a + b + c`` nests nothing but is a chain.
MAX_NESTING = 64
MAX_DEPTH = 128
TOO_DEEP = "expression is nested too deeply"


class HclExpressionError(Exception):
    """Syntax error; ``offset`` is the 0-based character offset in the source, ``message`` the text."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (at offset {offset})")
        self.message = message
        self.offset = offset


# Syntax tree. ``offset`` is where the node's source text starts.


@dataclass(slots=True)
class Expr:
    offset: int


@dataclass(slots=True)
class Literal(Expr):
    value: Any


@dataclass(slots=True)
class Template(Expr):
    parts: list[Expr]  # Literal strings, interpolated expressions, TemplateIf and TemplateFor


@dataclass(slots=True)
class TemplateWrap(Expr):
    """A template that is exactly one interpolation: its value passes through unconverted."""

    expr: Expr


@dataclass(slots=True)
class TemplateIf(Expr):
    condition: Expr
    then: list[Expr]
    otherwise: list[Expr]


@dataclass(slots=True)
class TemplateFor(Expr):
    key_var: str | None
    value_var: str
    collection: Expr
    body: list[Expr]


@dataclass(slots=True)
class Variable(Expr):
    name: str


@dataclass(slots=True)
class GetAttr(Expr):
    obj: Expr
    name: str


@dataclass(slots=True)
class Index(Expr):
    obj: Expr
    key: Expr


@dataclass(slots=True)
class Splat(Expr):
    """``source[*]<each>``: ``each`` is evaluated once per element, bound to SplatItem(slot)."""

    source: Expr
    each: Expr
    slot: int


@dataclass(slots=True)
class SplatItem(Expr):
    slot: int


@dataclass(slots=True)
class TupleExpr(Expr):
    items: list[Expr]


@dataclass(slots=True)
class ObjectExpr(Expr):
    items: list[tuple[Expr, Expr]]


@dataclass(slots=True)
class FunctionCall(Expr):
    name: str
    args: list[Expr]
    expand_final: bool


@dataclass(slots=True)
class Unary(Expr):
    op: str
    operand: Expr


@dataclass(slots=True)
class Binary(Expr):
    op: str
    left: Expr
    right: Expr


@dataclass(slots=True)
class Conditional(Expr):
    condition: Expr
    if_true: Expr
    if_false: Expr


@dataclass(slots=True)
class ForExpr(Expr):
    key_var: str | None
    value_var: str
    collection: Expr
    key: Expr | None  # None for the tuple form [for ...]
    value: Expr
    condition: Expr | None
    group: bool


@dataclass(slots=True)
class Parens(Expr):
    expr: Expr



_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def children(node: Expr) -> list[Expr]:
    """Direct sub-expressions in source order (fields hold nodes, lists of nodes or key/value pairs)."""
    names = _CHILD_FIELDS.get(type(node))
    if names is None:  # the fields declared to hold expressions (``Literal.value`` holds a value)
        names = _CHILD_FIELDS[type(node)] = tuple(f.name for f in fields(node) if "Expr" in str(f.type))
    found: list[Expr] = []
    for name in names:
        value = getattr(node, name)
        if isinstance(value, Expr):
            found.append(value)
        elif isinstance(value, list):
            for item in value:
                found.extend(item if isinstance(item, tuple) else (item,))
    return found
