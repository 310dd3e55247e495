"""Tokens -> syntax tree: ``parse_expression``."""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from itertools import count
from typing import Any, Callable, Iterator, Optional

from ....escape import excerpt
from .conversions import number_literal
from .lexer import Lexer, Token
from .syntax import (
    MAX_DEPTH, MAX_NESTING, TOO_DEEP, Binary, Conditional, Expr, ForExpr, FunctionCall, GetAttr, HclExpressionError,
    Index, Literal, ObjectExpr, Parens, Splat, SplatItem, Template, TemplateFor, TemplateIf, TemplateWrap, TupleExpr,
    Unary, Variable, children,
)

_BINARY_PRECEDENCE = {
    "||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4,
    "+": 5, "-": 5, "*": 6, "/": 6, "%": 6,
}  # fmt: skip
_KEYWORDS = {"true": True, "false": False, "null": None}
_TOKEN_NAMES = {
    "eof": "end of input", "nl": "newline", "oquote": 'opening "', "cquote": 'closing "',
    "oheredoc": "heredoc", "cheredoc": "end of heredoc", "lit": "template text",
    "interp": "${", "control": "%{", "tclose": "}",
}  # fmt: skip


@dataclass(slots=True)
class _Piece:
    """One flat element of a template before directives are nested: lit, interp, if, else..."""

    kind: str
    offset: int
    value: Any = None
    strip_left: bool = False
    strip_right: bool = False


class _Parser:
    def __init__(self, src: str) -> None:
        self.tokens = Lexer(src).run()
        self.i = 0
        self.skip_newlines = [True]  # top: are newlines insignificant here (inside brackets)?
        self.nesting = 0
        self.slots = count()

    def parse(self) -> Expr:
        expr = self._expression()
        tok = self._peek()
        if tok.kind != "eof":
            raise self._unexpected(tok, "expected the end of the expression")
        # Every level of the tree takes a token of its own: only a long expression can be too deep.
        too_deep = _deeper_than(expr, MAX_DEPTH) if len(self.tokens) > MAX_DEPTH else None
        if too_deep is not None:
            raise HclExpressionError(TOO_DEEP, too_deep.offset)
        return expr

    # --- token helpers ---

    def _peek(self) -> Token:
        if self.skip_newlines[-1]:
            while self.tokens[self.i].kind == "nl":
                self.i += 1
        return self.tokens[self.i]

    def _next(self) -> Token:
        tok = self._peek()
        if tok.kind != "eof":
            self.i += 1
        return tok

    @staticmethod
    def _is_op(tok: Token, *ops: str) -> bool:
        return tok.kind == "op" and tok.value in ops

    def _at(self, *ops: str) -> bool:
        return self._is_op(self._peek(), *ops)

    def _expect(self, *ops: str) -> Token:
        tok = self._next()
        if not self._is_op(tok, *ops):
            raise self._unexpected(tok, "expected " + " or ".join(repr(op) for op in ops))
        return tok

    def _expect_ident(self, what: str) -> Token:
        tok = self._next()
        if tok.kind != "ident":
            raise self._unexpected(tok, f"expected {what}")
        return tok

    def _expect_keyword(self, word: str) -> None:
        tok = self._next()
        if tok.kind != "ident" or tok.value != word:
            raise self._unexpected(tok, f"expected {word!r}")

    def _expect_tclose(self) -> Token:
        tok = self._next()
        if tok.kind != "tclose":
            raise self._unexpected(tok, "expected '}'")
        return tok

    def _after_newlines(self, j: int) -> int:
        while self.tokens[j].kind == "nl":
            j += 1
        return j

    @staticmethod
    def _unexpected(tok: Token, expected: str) -> HclExpressionError:
        if tok.kind in ("op", "num"):
            desc = f"'{excerpt(tok.value)}'"
        elif tok.kind == "ident":
            desc = f"identifier '{excerpt(tok.value)}'"
        else:
            desc = _TOKEN_NAMES[tok.kind]
        return HclExpressionError(f"unexpected {desc}, {expected}", tok.offset)

    @contextmanager
    def _newlines(self, ignored: bool) -> Iterator[None]:
        self.skip_newlines.append(ignored)
        try:
            yield
        finally:
            self.skip_newlines.pop()

    def _deeper(self, parse: Callable[[], Expr]) -> Expr:
        """Run a recursive parse step under the nesting budget."""
        self.nesting += 1
        try:
            if self.nesting > MAX_NESTING:
                raise HclExpressionError(TOO_DEEP, self._peek().offset)
            return parse()
        finally:
            self.nesting -= 1

    # --- expressions ---

    def _expression(self) -> Expr:
        return self._deeper(self._conditional)

    def _conditional(self) -> Expr:
        condition = self._binary()
        if not self._at("?"):
            return condition
        self._next()
        if_true = self._expression()
        self._expect(":")
        return Conditional(condition.offset, condition, if_true, self._expression())

    def _binary(self) -> Expr:
        """Operator-precedence parsing with explicit stacks: long chains cost no recursion."""
        operands = [self._unary()]
        pending: list[str] = []
        while True:
            tok = self._peek()
            precedence = _BINARY_PRECEDENCE.get(tok.value) if tok.kind == "op" else None
            if precedence is None:
                break
            self._next()
            while pending and _BINARY_PRECEDENCE[pending[-1]] >= precedence:  # left-associative
                _reduce(operands, pending.pop())
            pending.append(tok.value)
            operands.append(self._unary())
        while pending:
            _reduce(operands, pending.pop())
        return operands[0]

    def _unary(self) -> Expr:
        tok = self._peek()
        if self._is_op(tok, "-", "!"):
            self._next()
            return Unary(tok.offset, tok.value, self._deeper(self._unary))
        return self._traversals(self._primary())

    def _traversals(self, node: Expr) -> Expr:
        while True:
            tok = self._peek()
            if self._is_op(tok, "."):
                self._next()
                node = self._dot(node)
            elif not self._is_op(tok, "["):
                return node
            elif self._is_op(self.tokens[self.i + 1], "*"):
                self.i += 2
                self._expect("]")
                item = SplatItem(tok.offset, next(self.slots))
                # a full splat applies every following traversal (including splats) to each element
                each = self._deeper(lambda: self._traversals(item))
                return Splat(node.offset, node, each, item.slot)
            else:
                self._next()
                with self._newlines(True):
                    key = self._expression()
                    self._expect("]")
                node = Index(node.offset, node, key)

    def _dot(self, node: Expr) -> Expr:
        tok = self._next()
        if tok.kind == "ident":
            return GetAttr(node.offset, node, tok.value)
        if tok.kind == "num":  # legacy index: x.0
            return Index(node.offset, node, Literal(tok.offset, int(tok.value)))
        if self._is_op(tok, "*"):
            # attribute-only splat: takes the following .name and legacy .0 steps, not [key] (HCL's
            # parser does the same): x.*.b.0 is [for e in x : e.b[0]], x.*.b[0] is [for e in x : e.b][0]
            item = SplatItem(tok.offset, next(self.slots))
            each: Expr = item
            while self._at(".") and self.tokens[self.i + 1].kind in ("ident", "num"):
                self._next()
                each = self._dot(each)
            return Splat(node.offset, node, each, item.slot)
        raise self._unexpected(tok, "expected an attribute name")

    def _primary(self) -> Expr:
        tok = self._next()
        if tok.kind == "num":
            return Literal(tok.offset, number_literal(tok.value))
        if tok.kind == "ident":
            return self._identifier(tok)
        if tok.kind == "oquote":
            return self._template(tok, "cquote")
        if tok.kind == "oheredoc":
            return self._template(tok, "cheredoc")
        if self._is_op(tok, "("):
            with self._newlines(True):
                inner = self._expression()
                self._expect(")")
            return Parens(tok.offset, inner)
        if self._is_op(tok, "["):
            return self._bracket(tok)
        if self._is_op(tok, "{"):
            return self._brace(tok)
        raise self._unexpected(tok, "expected an expression")

    def _identifier(self, tok: Token) -> Expr:
        if tok.value in _KEYWORDS:
            return Literal(tok.offset, _KEYWORDS[tok.value])
        name = tok.value
        while self._is_op(self.tokens[self.i], "::"):  # provider::name::function
            self.i += 1
            name += "::" + self._expect_ident("a function name").value
            if not self._is_op(self.tokens[self.i], "::", "("):
                raise self._unexpected(self.tokens[self.i], "expected '('")
        if self._is_op(self.tokens[self.i], "("):
            self.i += 1
            return self._call(tok, name)
        return Variable(tok.offset, name)

    def _call(self, tok: Token, name: str) -> Expr:
        args: list[Expr] = []
        expand = False
        with self._newlines(True):
            while not self._at(")"):
                args.append(self._expression())
                if self._at("..."):
                    self._next()
                    expand = True
                    break
                if not self._at(","):
                    break
                self._next()
            self._expect(")")
        return FunctionCall(tok.offset, name, args, expand)

    def _starts_for(self) -> bool:
        """At "for" followed by a variable name? (so that {for = 1} stays an object)."""
        j = self._after_newlines(self.i)
        tok = self.tokens[j]
        if tok.kind != "ident" or tok.value != "for":
            return False
        return self.tokens[self._after_newlines(j + 1)].kind == "ident"

    def _bracket(self, open_tok: Token) -> Expr:
        with self._newlines(True):
            if self._starts_for():
                return self._for(open_tok, "]")
            items: list[Expr] = []
            while not self._at("]"):
                items.append(self._expression())
                if not self._at(","):
                    break
                self._next()
            self._expect("]")
        return TupleExpr(open_tok.offset, items)

    def _brace(self, open_tok: Token) -> Expr:
        if self._starts_for():
            with self._newlines(True):
                return self._for(open_tok, "}")
        items: list[tuple[Expr, Expr]] = []
        with self._newlines(False):  # newlines separate items
            while True:
                self.i = self._after_newlines(self.i)
                if self._at("}"):
                    break
                key = self._object_key()
                self._expect("=", ":")
                items.append((key, self._expression()))
                tok = self._peek()
                if self._is_op(tok, ",") or tok.kind == "nl":
                    self._next()
                elif not self._is_op(tok, "}"):
                    raise self._unexpected(tok, "expected a comma or a newline")
            self._next()
        return ObjectExpr(open_tok.offset, items)

    def _object_key(self) -> Expr:
        tok = self._peek()
        if tok.kind == "ident" and self._is_op(self.tokens[self.i + 1], "=", ":"):
            self._next()
            return Literal(tok.offset, tok.value)  # a bare name is the key itself, not a reference
        return self._expression()

    def _for_header(self) -> tuple[str | None, str, Expr]:
        """``k, v in coll`` or ``v in coll`` (after the "for" keyword)."""
        first = self._expect_ident("a variable name").value
        if not self._at(","):
            self._expect_keyword("in")
            return None, first, self._expression()
        self._next()
        second = self._expect_ident("a variable name").value
        self._expect_keyword("in")
        return first, second, self._expression()

    def _for(self, open_tok: Token, close: str) -> Expr:
        self._next()  # "for"
        key_var, value_var, collection = self._for_header()
        self._expect(":")
        key = None
        if close == "}":
            key = self._expression()
            self._expect("=>")
        value = self._expression()
        group = close == "}" and self._at("...")
        if group:
            self._next()
        condition = None
        tok = self._peek()
        if tok.kind == "ident" and tok.value == "if":
            self._next()
            condition = self._expression()
        self._expect(close)
        return ForExpr(open_tok.offset, key_var, value_var, collection, key, value, condition, group)

    # --- templates ---

    def _template(self, open_tok: Token, close_kind: str) -> Expr:
        pieces: list[_Piece] = []
        while True:
            tok = self._next()
            if tok.kind == close_kind:
                break
            if tok.kind == "lit":
                pieces.append(_Piece("lit", tok.offset, tok.value))
            elif tok.kind == "interp":
                with self._newlines(True):
                    expr = self._expression()
                    close = self._expect_tclose()
                pieces.append(_Piece("interp", tok.offset, expr, tok.value, close.value))
            elif tok.kind == "control":
                pieces.append(self._directive(tok))
            else:
                raise self._unexpected(tok, "expected template text")
        if len(pieces) == 1 and pieces[0].kind == "interp":
            return TemplateWrap(open_tok.offset, pieces[0].value)
        _apply_strip_markers(pieces)
        parts, _, _ = _build_template(pieces, 0, (), 0)
        if all(type(part) is Literal and type(part.value) is str for part in parts):  # text only ("tcp", "10.0.0.0/16"): a constant
            return Literal(open_tok.offset, "".join(part.value for part in parts))
        return Template(open_tok.offset, parts)

    def _directive(self, open_tok: Token) -> _Piece:
        with self._newlines(True):
            word = self._expect_ident("a template directive")
            piece = _Piece(word.value, open_tok.offset, strip_left=open_tok.value)
            if word.value == "if":
                piece.value = self._expression()
            elif word.value == "for":
                piece.value = self._for_header()
            elif word.value not in ("else", "endif", "endfor"):
                raise self._unexpected(word, "expected if, else, endif, for or endfor")
            piece.strip_right = self._expect_tclose().value
        return piece


def _reduce(operands: list[Expr], op: str) -> None:
    right = operands.pop()
    left = operands.pop()
    operands.append(Binary(left.offset, op, left, right))


def _apply_strip_markers(pieces: list[_Piece]) -> None:
    """``${~`` trims whitespace before the sequence, ``~}`` after it."""
    for i, piece in enumerate(pieces):
        if piece.strip_left and i > 0 and pieces[i - 1].kind == "lit":
            pieces[i - 1].value = pieces[i - 1].value.rstrip()
        if piece.strip_right and i + 1 < len(pieces) and pieces[i + 1].kind == "lit":
            pieces[i + 1].value = pieces[i + 1].value.lstrip()


def _build_template(
    pieces: list[_Piece], pos: int, stops: tuple[str, ...], depth: int
) -> tuple[list[Expr], int, _Piece | None]:
    """Nest flat pieces into parts until a piece whose kind is in ``stops`` (returned, unconsumed)."""
    if depth > MAX_NESTING:
        raise HclExpressionError("template directives are nested too deeply", pieces[pos - 1].offset)
    parts: list[Expr] = []
    while pos < len(pieces):
        piece = pieces[pos]
        if piece.kind in stops:
            return parts, pos, piece
        pos += 1
        if piece.kind == "lit":
            if piece.value:
                parts.append(Literal(piece.offset, piece.value))
        elif piece.kind == "interp":
            parts.append(piece.value)
        elif piece.kind == "if":
            then, pos, stop = _build_template(pieces, pos, ("else", "endif"), depth + 1)
            otherwise: list[Expr] = []
            if stop is not None and stop.kind == "else":
                otherwise, pos, stop = _build_template(pieces, pos + 1, ("endif",), depth + 1)
            if stop is None:
                raise HclExpressionError("missing %{ endif }", piece.offset)
            parts.append(TemplateIf(piece.offset, piece.value, then, otherwise))
            pos += 1
        elif piece.kind == "for":
            body, pos, stop = _build_template(pieces, pos, ("endfor",), depth + 1)
            if stop is None:
                raise HclExpressionError("missing %{ endfor }", piece.offset)
            parts.append(TemplateFor(piece.offset, *piece.value, body))
            pos += 1
        else:
            raise HclExpressionError(f"unexpected %{{ {piece.kind} }}", piece.offset)
    return parts, pos, None


def _deeper_than(expr: Expr, limit: int) -> Optional[Expr]:
    """The first node, in source order, more than ``limit`` levels down (iteratively: the tree may be deep)."""
    stack = [(expr, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return node
        stack.extend((child, depth + 1) for child in reversed(children(node)))
    return None


# The commonest expressions, built without the lexer and the parser (the trees they would build): a
# quoted string with nothing to interpolate or escape, a whole number, a reference (a.b.c).
_PLAIN_STRING = re.compile(r'"([^"\\$%\n]*)"')
_WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")
_REFERENCE = re.compile(r"[^\W\d][\w-]*(?:\.[^\W\d][\w-]*)*")


def _plain(src: str) -> Optional[Expr]:
    if match := _PLAIN_STRING.fullmatch(src):
        return Literal(0, match.group(1))
    if _WHOLE_NUMBER.fullmatch(src):
        return Literal(0, int(src))
    if _REFERENCE.fullmatch(src):
        root, *names = src.split(".")
        if root in _KEYWORDS or len(names) >= MAX_DEPTH:  # the parser refuses either
            return Literal(0, _KEYWORDS[root]) if root in _KEYWORDS and not names else None
        node: Expr = Variable(0, root)
        for name in names:
            node = GetAttr(0, node, name)
        return node
    return None


def parse_expression(src: str) -> Expr:
    """Parse one HCL2 expression; raises HclExpressionError on bad syntax."""
    plain = _plain(src)
    if plain is not None:
        return plain
    try:
        return _Parser(src).parse()
    except RecursionError:  # the caller's own stack may already be deep
        raise HclExpressionError(TOO_DEEP, 0) from None


@lru_cache(maxsize=1 << 16)
def parsed(src: str) -> Expr | HclExpressionError:
    """The tree of an expression text, or its syntax error, parsed once: the file reader checks every
    expression, and a module's attributes are evaluated again for every instance and every caller
    (syntax trees are never changed by evaluation)."""
    try:
        return parse_expression(src)
    except HclExpressionError as exc:
        return exc

