"""The syntax tree of an HCL2 native-syntax expression, and the error raised for bad syntax."""
from __future__ import annotations

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


# Syntax tree. ``offset`` is where the node's source text starts. Plain classes with slots rather
# than dataclasses: the tree is built once per distinct text, but these classes are made at every
# start of a scan that reads Terraform, where dataclasses cost some 5 ms.


class Expr:
    __slots__ = ("offset",)
    FIELDS: tuple[str, ...] = ("offset",)  # in constructor order
    CHILDREN: tuple[str, ...] = ()  # the fields that hold sub-expressions (nodes, lists, pairs)

    def __init__(self, offset: int) -> None:
        self.offset = offset

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and all(getattr(self, f) == getattr(other, f) for f in self.FIELDS)

    __hash__ = None  # type: ignore[assignment]  # (mutable, compared by value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{f}={getattr(self, f)!r}' for f in self.FIELDS)})"


class Literal(Expr):
    __slots__ = ("value",)
    FIELDS = ("offset", "value")
    CHILDREN = ()

    def __init__(self, offset: int, value: Any) -> None:
        self.offset = offset
        self.value = value


class Template(Expr):
    """Literal strings, interpolated expressions, TemplateIf and TemplateFor."""

    __slots__ = ("parts",)
    FIELDS = ("offset", "parts")
    CHILDREN = ("parts",)

    def __init__(self, offset: int, parts: list[Expr]) -> None:
        self.offset = offset
        self.parts = parts


class TemplateWrap(Expr):
    """A template that is exactly one interpolation: its value passes through unconverted."""

    __slots__ = ("expr",)
    FIELDS = ("offset", "expr")
    CHILDREN = ("expr",)

    def __init__(self, offset: int, expr: Expr) -> None:
        self.offset = offset
        self.expr = expr


class TemplateIf(Expr):
    __slots__ = ("condition", "then", "otherwise")
    FIELDS = ("offset", "condition", "then", "otherwise")
    CHILDREN = ("condition", "then", "otherwise")

    def __init__(self, offset: int, condition: Expr, then: list[Expr], otherwise: list[Expr]) -> None:
        self.offset = offset
        self.condition = condition
        self.then = then
        self.otherwise = otherwise


class TemplateFor(Expr):
    __slots__ = ("key_var", "value_var", "collection", "body")
    FIELDS = ("offset", "key_var", "value_var", "collection", "body")
    CHILDREN = ("collection", "body")

    def __init__(self, offset: int, key_var: str | None, value_var: str, collection: Expr, body: list[Expr]) -> None:
        self.offset = offset
        self.key_var = key_var
        self.value_var = value_var
        self.collection = collection
        self.body = body


class Variable(Expr):
    __slots__ = ("name",)
    FIELDS = ("offset", "name")
    CHILDREN = ()

    def __init__(self, offset: int, name: str) -> None:
        self.offset = offset
        self.name = name


class GetAttr(Expr):
    __slots__ = ("obj", "name")
    FIELDS = ("offset", "obj", "name")
    CHILDREN = ("obj",)

    def __init__(self, offset: int, obj: Expr, name: str) -> None:
        self.offset = offset
        self.obj = obj
        self.name = name


class Index(Expr):
    __slots__ = ("obj", "key")
    FIELDS = ("offset", "obj", "key")
    CHILDREN = ("obj", "key")

    def __init__(self, offset: int, obj: Expr, key: Expr) -> None:
        self.offset = offset
        self.obj = obj
        self.key = key


class Splat(Expr):
    """``source[*]<each>``: ``each`` is evaluated once per element, bound to SplatItem(slot)."""

    __slots__ = ("source", "each", "slot")
    FIELDS = ("offset", "source", "each", "slot")
    CHILDREN = ("source", "each")

    def __init__(self, offset: int, source: Expr, each: Expr, slot: int) -> None:
        self.offset = offset
        self.source = source
        self.each = each
        self.slot = slot


class SplatItem(Expr):
    __slots__ = ("slot",)
    FIELDS = ("offset", "slot")
    CHILDREN = ()

    def __init__(self, offset: int, slot: int) -> None:
        self.offset = offset
        self.slot = slot


class TupleExpr(Expr):
    __slots__ = ("items",)
    FIELDS = ("offset", "items")
    CHILDREN = ("items",)

    def __init__(self, offset: int, items: list[Expr]) -> None:
        self.offset = offset
        self.items = items


class ObjectExpr(Expr):
    __slots__ = ("items",)
    FIELDS = ("offset", "items")
    CHILDREN = ("items",)

    def __init__(self, offset: int, items: list[tuple[Expr, Expr]]) -> None:
        self.offset = offset
        self.items = items


class FunctionCall(Expr):
    __slots__ = ("name", "args", "expand_final")
    FIELDS = ("offset", "name", "args", "expand_final")
    CHILDREN = ("args",)

    def __init__(self, offset: int, name: str, args: list[Expr], expand_final: bool) -> None:
        self.offset = offset
        self.name = name
        self.args = args
        self.expand_final = expand_final


class Unary(Expr):
    __slots__ = ("op", "operand")
    FIELDS = ("offset", "op", "operand")
    CHILDREN = ("operand",)

    def __init__(self, offset: int, op: str, operand: Expr) -> None:
        self.offset = offset
        self.op = op
        self.operand = operand


class Binary(Expr):
    __slots__ = ("op", "left", "right")
    FIELDS = ("offset", "op", "left", "right")
    CHILDREN = ("left", "right")

    def __init__(self, offset: int, op: str, left: Expr, right: Expr) -> None:
        self.offset = offset
        self.op = op
        self.left = left
        self.right = right


class Conditional(Expr):
    __slots__ = ("condition", "if_true", "if_false")
    FIELDS = ("offset", "condition", "if_true", "if_false")
    CHILDREN = ("condition", "if_true", "if_false")

    def __init__(self, offset: int, condition: Expr, if_true: Expr, if_false: Expr) -> None:
        self.offset = offset
        self.condition = condition
        self.if_true = if_true
        self.if_false = if_false


class ForExpr(Expr):
    """``key`` is None for the tuple form ``[for ...]``."""

    __slots__ = ("key_var", "value_var", "collection", "key", "value", "condition", "group")
    FIELDS = ("offset", "key_var", "value_var", "collection", "key", "value", "condition", "group")
    CHILDREN = ("collection", "key", "value", "condition")

    def __init__(self, offset: int, key_var: str | None, value_var: str, collection: Expr, key: Expr | None, value: Expr, condition: Expr | None, group: bool) -> None:
        self.offset = offset
        self.key_var = key_var
        self.value_var = value_var
        self.collection = collection
        self.key = key
        self.value = value
        self.condition = condition
        self.group = group


class Parens(Expr):
    __slots__ = ("expr",)
    FIELDS = ("offset", "expr")
    CHILDREN = ("expr",)

    def __init__(self, offset: int, expr: Expr) -> None:
        self.offset = offset
        self.expr = expr


def children(node: Expr) -> list[Expr]:
    """Direct sub-expressions in source order (fields hold nodes, lists of nodes or key/value pairs)."""
    found: list[Expr] = []
    for name in node.CHILDREN:
        value = getattr(node, name)
        if isinstance(value, Expr):
            found.append(value)
        elif isinstance(value, list):
            for item in value:
                found.extend(item if isinstance(item, tuple) else (item,))
    return found
