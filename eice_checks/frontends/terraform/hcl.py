"""Read the structure of a .tf file (blocks, attributes, their lines) with whichever ``hcl2`` is installed.

Two distributions own the module ``hcl2``: python-hcl2 (``parses_to_tree``) and checkov's fork
bc-python-hcl2 (``hcl2.parser.hcl2.lark_parser``); installing one over the other breaks the other's
users (FACTS.md). Both build a lark tree with positions, and both trees share the shape
body/block/attribute, so only that shape is read here. Expressions are kept as source text and
evaluated by ``expressions.py``, which is independent of either library's value conventions.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional


class HclFileError(Exception):
    def __init__(self, message: str, line: Optional[int]) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class HclUnavailable(Exception):
    """No usable ``hcl2`` module is installed."""


@dataclass
class Attribute:
    name: str
    source: str  # the expression's source text
    line: int
    file: str = ""  # set when it comes from another file than its block (an override file)


@dataclass
class Body:
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list["Block"] = field(default_factory=list)

    def blocks_of(self, block_type: str) -> list["Block"]:
        return [b for b in self.blocks if b.type == block_type]


@dataclass
class Block:
    type: str
    labels: list[str]
    body: Body
    line: int
    file: str = ""  # set when it comes from another file than its parent (an override file)

    @property
    def generates(self) -> str:
        """The block type it stands for: ``dynamic "ingress"`` generates ``ingress`` blocks."""
        return self.labels[0] if self.type == "dynamic" and self.labels else self.type


_parse_tree: Optional[Callable[[str], Any]] = None
BACKEND = ""


def _load_backend() -> Callable[[str], Any]:
    """Import hcl2 on first use only: most commits touch no Terraform, and the import costs."""
    global _parse_tree, BACKEND
    if _parse_tree is None:
        try:
            import hcl2
        except ImportError as exc:
            raise HclUnavailable(
                "reading Terraform needs python-hcl2: pip install 'eice-checks[terraform]' "
                "(inside checkov's environment checkov's own hcl2 is used; install nothing more there)"
            ) from exc
        if hasattr(hcl2, "parses_to_tree"):  # python-hcl2 >= 5
            _parse_tree, BACKEND = hcl2.parses_to_tree, "python-hcl2"
        else:
            try:
                from hcl2.parser import hcl2 as fork  # bc-python-hcl2, checkov's fork
            except ImportError as exc:
                raise HclUnavailable("the installed hcl2 module is neither python-hcl2 nor bc-python-hcl2") from exc
            _parse_tree, BACKEND = (lambda text: fork.lark_parser.parse(text + "\n")), "bc-python-hcl2"
    return _parse_tree


def parse_file(text: str) -> Body:
    parse = _load_backend()
    try:
        tree = parse(text)
    except RecursionError:
        raise HclFileError("nesting too deep to read", None) from None
    except Exception as exc:  # lark raises several exception types; all mean invalid input
        raise HclFileError(_describe(exc), _line_of(exc)) from None
    body = next((c for c in tree.children if _is(c, "body")), None)
    return _body(body, text) if body is not None else Body()


def _is(node: Any, name: str) -> bool:
    return getattr(node, "data", None) == name


def _line_of(exc: Exception) -> Optional[int]:
    line = getattr(exc, "line", None)
    return line if isinstance(line, int) and line > 0 else None


def _describe(exc: Exception) -> str:
    token = getattr(exc, "token", None)
    if token is not None and getattr(token, "type", "") == "$END":
        return "unexpected end of file (an unclosed block, bracket or string?)"
    if token is not None:
        text = str(token).strip()
        return f"unexpected {text.splitlines()[0]!r}" if text else "unexpected line break (an incomplete expression?)"
    char = getattr(exc, "char", None)
    if char is not None:
        return f"unexpected character {char!r}"
    first = str(exc).strip().splitlines()
    return first[0] if first else type(exc).__name__


def _text(node: Any, source: str) -> str:
    if hasattr(node, "meta"):
        return source[node.meta.start_pos:node.meta.end_pos]
    return str(node)


def _body(node: Any, source: str) -> Body:
    body = Body()
    for child in node.children:
        if _is(child, "attribute"):
            name = _text(child.children[0], source)
            expression = [c for c in child.children[1:] if hasattr(c, "meta")][-1]
            body.attributes[name] = Attribute(name, _text(expression, source).strip(), child.meta.line)
        elif _is(child, "block"):
            body.blocks.append(_block(child, source))
    return body


def _block(node: Any, source: str) -> Block:
    children = [c for c in node.children if not (getattr(c, "type", None) in ("LBRACE", "RBRACE"))]
    block_type = _text(children[0], source)
    inner = next((c for c in children[1:] if _is(c, "body")), None)
    labels = [_text(c, source).strip('"') for c in children[1:] if c is not inner]
    return Block(block_type, labels, _body(inner, source) if inner is not None else Body(), node.meta.line)
