"""Static analysis: which traversal paths an expression reads, without evaluating it."""
from __future__ import annotations

from typing import Any

from .syntax import Expr, ForExpr, GetAttr, Index, Splat, TemplateFor, Variable, children


def references(expr: Expr) -> list[tuple[str, ...]]:
    """Traversal paths the expression reads, first-seen order, each cut at its first index or splat.

    Local names (for-expression variables) are skipped. Iterative, so chains of any length are fine.
    """
    found: dict[tuple[str, ...], None] = {}
    stack: list[tuple[Any, frozenset[str]]] = [(expr, frozenset())]
    while stack:
        node, bound = stack.pop()
        if isinstance(node, (Variable, GetAttr, Index, Splat)):
            _traversal_references(node, bound, found, stack)
        elif isinstance(node, (ForExpr, TemplateFor)):
            inner = bound | {name for name in (node.key_var, node.value_var) if name}
            body = [child for child in children(node) if child is not node.collection]
            stack.extend((child, inner) for child in reversed(body))
            stack.append((node.collection, bound))
        else:
            stack.extend((child, bound) for child in reversed(children(node)))
    return list(found)


def _traversal_references(
    node: Expr, bound: frozenset[str], found: dict[tuple[str, ...], None], stack: list[tuple[Any, frozenset[str]]]
) -> None:
    names: list[str] = []
    while isinstance(node, (GetAttr, Index, Splat)):
        if isinstance(node, GetAttr):
            names.append(node.name)
            node = node.obj
        else:  # the path stops before an index or splat; what they contain is visited separately
            names.clear()
            stack.append((node.key if isinstance(node, Index) else node.each, bound))
            node = node.obj if isinstance(node, Index) else node.source
    if not isinstance(node, Variable):
        stack.append((node, bound))
    elif node.name not in bound:
        found.setdefault((node.name, *reversed(names)), None)
