"""Parser and evaluator for Terraform (HCL2 native syntax) expressions.

The Terraform front end hands us the source text of one attribute's right-hand side; we parse it
into a small AST and evaluate it against a ``Scope`` that resolves root names (``var``, ``local``,
resource types...). Evaluation never raises: whatever cannot be known statically, and whatever
Terraform would reject, becomes ``Unknown``. Failures are ``Unknown`` values whose reason starts
with ``"error: "`` so that ``try()`` and ``can()`` can tell a failure from a merely unknown value.
"""
from __future__ import annotations

import ipaddress
import json
import math
import operator
import re
from contextlib import contextmanager
from dataclasses import dataclass, fields
from decimal import Decimal
from itertools import count
from typing import Any, Callable, Iterator, Protocol

from eice_checks.model.values import EntityRef, Unknown

# ---------------------------------------------------------------------------------------------
# Public interface
# ---------------------------------------------------------------------------------------------


class HclExpressionError(Exception):
    """Syntax error; ``offset`` is the 0-based character offset in the source, ``message`` the text."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (at offset {offset})")
        self.message = message
        self.offset = offset


class Scope(Protocol):
    def resolve_root(self, name: str) -> Any:
        """Value of a root name that is not a local iteration variable (``var``, ``data``...)."""


class Traversable:
    """Base class for scope objects whose attributes are computed lazily."""

    def get_attr(self, name: str) -> Any:
        return Unknown(f"no attribute {name}")

    def get_index(self, key: Any) -> Any:
        return Unknown("not indexable")

    def splat(self) -> Any:
        return Unknown("splat")


# ---------------------------------------------------------------------------------------------
# Syntax tree. ``offset`` is where the node's source text starts.
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Lexer
# ---------------------------------------------------------------------------------------------

# Recursive-descent budget: a nesting level costs about eight Python frames, so this keeps us far
# below the interpreter's recursion limit while allowing any expression a human would write.
_MAX_NESTING = 64

_BLANK_RE = re.compile(r"(?:[ \t\r]+|#[^\n]*|//[^\n]*|/\*.*?\*/)*", re.DOTALL)
_NUMBER_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_DIGITS_RE = re.compile(r"[0-9]+")
_NUMERIC_STRING_RE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_IDENT_RE = re.compile(r"[^\W\d][\w-]*")
_HEREDOC_RE = re.compile(r"<<(-?)([^\W\d][\w-]*)\r?\n")
_QUOTED_TEXT_RE = re.compile(r'[^"\\$%\n]+')
_HEREDOC_TEXT_RE = re.compile(r"[^$%\n]+")
_HEX_RE = re.compile(r"[0-9A-Fa-f]+")
_OPERATORS = (
    (3, frozenset({"..."})),
    (2, frozenset({"::", "==", "!=", "<=", ">=", "&&", "||", "=>"})),
    (1, frozenset("+-*/%<>!?:=,.()[]{}")),
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


@dataclass(slots=True)
class _Token:
    kind: str  # num ident op nl eof oquote cquote oheredoc cheredoc lit interp control tclose
    value: Any
    offset: int


@dataclass(slots=True)
class _ExprMode:
    in_template: bool = False
    depth: int = 0  # unmatched "{": the "}" at depth 0 closes the enclosing interpolation


@dataclass(slots=True)
class _TemplateMode:
    start: int  # opening quote, or first character of a heredoc body
    heredoc: bool = False
    end: int = 0  # heredoc only: start of the terminator line
    resume: int = 0  # heredoc only: where scanning continues after the terminator
    indent: int = 0  # <<- heredocs: leading whitespace removed from each line


class _Lexer:
    """Linear scanner. Templates nest in expressions and vice versa, hence a stack of modes."""

    def __init__(self, src: str) -> None:
        self.src = src
        self.pos = 0
        self.tokens: list[_Token] = []
        self.modes: list[_ExprMode | _TemplateMode] = [_ExprMode()]

    def run(self) -> list[_Token]:
        while True:
            mode = self.modes[-1]
            if isinstance(mode, _TemplateMode):
                self._template(mode)
            elif not self._expr_token(mode):
                return self.tokens

    def _emit(self, kind: str, value: Any, offset: int) -> None:
        self.tokens.append(_Token(kind, value, offset))

    def _expr_token(self, mode: _ExprMode) -> bool:
        """Scan one token in expression mode; False once the end of input is reached."""
        src = self.src
        pos = _BLANK_RE.match(src, self.pos).end()
        if src.startswith("/*", pos):
            raise HclExpressionError("unterminated comment", pos)
        if pos >= len(src):
            if len(self.modes) > 1:
                raise HclExpressionError("unterminated template interpolation", pos)
            self._emit("eof", None, pos)
            return False
        ch = src[pos]
        self.pos = pos + 1
        if ch == "\n":
            if not self.tokens or self.tokens[-1].kind != "nl":  # one token per run of blank lines
                self._emit("nl", None, pos)
        elif "0" <= ch <= "9":
            last = self.tokens[-1] if self.tokens else None
            # after "." only digits: "x.0.1" is two legacy indexes, not the number 0.1
            pattern = _DIGITS_RE if last and last.kind == "op" and last.value == "." else _NUMBER_RE
            match = pattern.match(src, pos)
            self._emit("num", match.group(), pos)
            self.pos = match.end()
        elif match := _IDENT_RE.match(src, pos):
            self._emit("ident", match.group(), pos)
            self.pos = match.end()
        elif ch == '"':
            self._emit("oquote", None, pos)
            self.modes.append(_TemplateMode(start=pos))
        elif ch == "<" and (match := _HEREDOC_RE.match(src, pos)):
            self._heredoc(match)
        elif mode.in_template and mode.depth == 0 and (ch == "}" or src.startswith("~}", pos)):
            self._emit("tclose", ch == "~", pos)
            self.modes.pop()
            self.pos = pos + (2 if ch == "~" else 1)
        else:
            self._operator(mode, pos)
        return True

    def _operator(self, mode: _ExprMode, pos: int) -> None:
        for width, table in _OPERATORS:
            op = self.src[pos : pos + width]
            if op in table:
                break
        else:
            raise HclExpressionError(f"unexpected character {self.src[pos]!r}", pos)
        if op == "{":
            mode.depth += 1
        elif op == "}" and mode.depth:
            mode.depth -= 1
        self._emit("op", op, pos)
        self.pos = pos + width

    def _heredoc(self, match: re.Match[str]) -> None:
        src, marker = self.src, match.group(2)
        body = line = match.end()
        while True:  # find the terminator line
            newline = src.find("\n", line)
            line_end = len(src) if newline < 0 else newline
            if src[line:line_end].strip() == marker:
                break
            if newline < 0:
                raise HclExpressionError(f"unterminated heredoc, expected {marker}", match.start())
            line = newline + 1
        indent = _common_indent(src[body:line]) if match.group(1) else 0
        self._emit("oheredoc", marker, match.start())
        self.modes.append(_TemplateMode(body, heredoc=True, end=line, resume=line_end, indent=indent))
        self.pos = body

    def _template(self, mode: _TemplateMode) -> None:
        """Scan template text up to the next interpolation/directive or the end of the template."""
        src, pos, chunks = self.src, self.pos, []
        start = pos
        end = mode.end if mode.heredoc else len(src)
        if pos > end:
            raise HclExpressionError("unterminated template interpolation in heredoc", mode.start)
        text_re = _HEREDOC_TEXT_RE if mode.heredoc else _QUOTED_TEXT_RE
        while pos < end:
            if mode.indent and (pos == mode.start or src[pos - 1] == "\n"):
                pos = _skip_indent(src, pos, mode.indent, end)
                if pos >= end:
                    break
            ch = src[pos]
            if src.startswith("$${", pos) or src.startswith("%%{", pos):
                chunks.append(src[pos + 1 : pos + 3])
                pos += 3
            elif ch in "$%" and src.startswith("{", pos + 1):
                self._flush(chunks, start)
                strip = src.startswith("~", pos + 2)
                self._emit("interp" if ch == "$" else "control", strip, pos)
                self.modes.append(_ExprMode(in_template=True))
                self.pos = pos + (3 if strip else 2)
                return
            elif ch == '"' and not mode.heredoc:
                self._flush(chunks, start)
                self._emit("cquote", None, pos)
                self.modes.pop()
                self.pos = pos + 1
                return
            elif ch == "\\" and not mode.heredoc:  # heredocs take backslashes literally
                text, pos = _escape(src, pos)
                chunks.append(text)
            elif ch == "\n":
                if not mode.heredoc:
                    raise HclExpressionError("unterminated string", mode.start)
                chunks.append(ch)
                pos += 1
            elif match := text_re.match(src, pos, end):
                chunks.append(match.group())
                pos = match.end()
            else:  # a "$" or "%" not starting a sequence
                chunks.append(ch)
                pos += 1
        if not mode.heredoc:
            raise HclExpressionError("unterminated string", mode.start)
        self._flush(chunks, start)
        self._emit("cheredoc", None, end)
        self.modes.pop()
        self.pos = mode.resume

    def _flush(self, chunks: list[str], offset: int) -> None:
        if chunks:
            self._emit("lit", "".join(chunks), offset)


def _common_indent(body: str) -> int:
    """Smallest leading-whitespace width over the non-blank lines of a <<- heredoc."""
    widths = [len(line) - len(line.lstrip(" \t")) for line in body.split("\n") if line.strip()]
    return min(widths, default=0)


def _skip_indent(src: str, pos: int, indent: int, end: int) -> int:
    limit = min(pos + indent, end)
    while pos < limit and src[pos] in " \t":
        pos += 1
    return pos


def _escape(src: str, pos: int) -> tuple[str, int]:
    """Decode the backslash escape at pos; returns the text and the position after it."""
    code = src[pos + 1 : pos + 2]
    if code in _ESCAPES:
        return _ESCAPES[code], pos + 2
    if code in ("u", "U"):
        width = 4 if code == "u" else 8
        digits = src[pos + 2 : pos + 2 + width]
        if len(digits) == width and _HEX_RE.fullmatch(digits) and int(digits, 16) <= 0x10FFFF:
            return chr(int(digits, 16)), pos + 2 + width
    raise HclExpressionError("invalid escape sequence", pos)


# ---------------------------------------------------------------------------------------------
# Parser
# ---------------------------------------------------------------------------------------------

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
        self.tokens = _Lexer(src).run()
        self.i = 0
        self.skip_newlines = [True]  # top: are newlines insignificant here (inside brackets)?
        self.nesting = 0
        self.slots = count()

    def parse(self) -> Expr:
        expr = self._expression()
        tok = self._peek()
        if tok.kind != "eof":
            raise self._unexpected(tok, "expected the end of the expression")
        return expr

    # --- token helpers ---

    def _peek(self) -> _Token:
        if self.skip_newlines[-1]:
            while self.tokens[self.i].kind == "nl":
                self.i += 1
        return self.tokens[self.i]

    def _next(self) -> _Token:
        tok = self._peek()
        if tok.kind != "eof":
            self.i += 1
        return tok

    @staticmethod
    def _is_op(tok: _Token, *ops: str) -> bool:
        return tok.kind == "op" and tok.value in ops

    def _at(self, *ops: str) -> bool:
        return self._is_op(self._peek(), *ops)

    def _expect(self, *ops: str) -> _Token:
        tok = self._next()
        if not self._is_op(tok, *ops):
            raise self._unexpected(tok, "expected " + " or ".join(repr(op) for op in ops))
        return tok

    def _expect_ident(self, what: str) -> _Token:
        tok = self._next()
        if tok.kind != "ident":
            raise self._unexpected(tok, f"expected {what}")
        return tok

    def _expect_keyword(self, word: str) -> None:
        tok = self._next()
        if tok.kind != "ident" or tok.value != word:
            raise self._unexpected(tok, f"expected {word!r}")

    def _expect_tclose(self) -> _Token:
        tok = self._next()
        if tok.kind != "tclose":
            raise self._unexpected(tok, "expected '}'")
        return tok

    def _after_newlines(self, j: int) -> int:
        while self.tokens[j].kind == "nl":
            j += 1
        return j

    @staticmethod
    def _unexpected(tok: _Token, expected: str) -> HclExpressionError:
        if tok.kind in ("op", "num"):
            desc = repr(tok.value)
        elif tok.kind == "ident":
            desc = f"identifier {tok.value!r}"
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
            if self.nesting > _MAX_NESTING:
                raise HclExpressionError("expression is nested too deeply", self._peek().offset)
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
        if self._is_op(tok, "*"):  # attribute-only splat: takes the following .name steps only
            item = SplatItem(tok.offset, next(self.slots))
            each: Expr = item
            while self._at(".") and self.tokens[self.i + 1].kind == "ident":
                self._next()
                each = GetAttr(each.offset, each, self._next().value)
            return Splat(node.offset, node, each, item.slot)
        raise self._unexpected(tok, "expected an attribute name")

    def _primary(self) -> Expr:
        tok = self._next()
        if tok.kind == "num":
            return Literal(tok.offset, _number_literal(tok.value))
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

    def _identifier(self, tok: _Token) -> Expr:
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

    def _call(self, tok: _Token, name: str) -> Expr:
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

    def _bracket(self, open_tok: _Token) -> Expr:
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

    def _brace(self, open_tok: _Token) -> Expr:
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

    def _for(self, open_tok: _Token, close: str) -> Expr:
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

    def _template(self, open_tok: _Token, close_kind: str) -> Expr:
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
        return Template(open_tok.offset, parts)

    def _directive(self, open_tok: _Token) -> _Piece:
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


def _number_literal(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return _normalize(float(text))


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
    if depth > _MAX_NESTING:
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


def parse_expression(src: str) -> Expr:
    """Parse one HCL2 expression; raises HclExpressionError on bad syntax."""
    try:
        return _Parser(src).parse()
    except RecursionError:  # the caller's own stack may already be deep
        raise HclExpressionError("expression is nested too deeply", 0) from None


# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------

_ERROR = "error: "  # reason prefix of Unknowns that stand for a Terraform error (try/can skip them)


class _Unknowable(Exception):
    """Raised by helpers to make the node being evaluated Unknown."""

    def __init__(self, value: Unknown) -> None:
        super().__init__(value.reason)
        self.value = value


class _EvalError(Exception):
    """Something Terraform would reject; the node becomes Unknown("error: ...")."""


class _Env:
    __slots__ = ("scope", "names")

    def __init__(self, scope: Scope, names: dict[str, Any]) -> None:
        self.scope = scope
        self.names = names  # local names: for-expression variables and splat items

    def bind(self, bindings: dict[str, Any]) -> _Env:
        return _Env(self.scope, {**self.names, **bindings})


def evaluate(expr: Expr, scope: Scope) -> Any:
    """Value of a parsed expression; never raises (what cannot be known is Unknown)."""
    return _eval(expr, _Env(scope, {}))


def evaluate_source(src: str, scope: Scope) -> Any:
    """Parse and evaluate; a syntax error yields Unknown("syntax: ...")."""
    try:
        expr = parse_expression(src)
    except HclExpressionError as exc:
        return Unknown(f"syntax: {exc.message} at offset {exc.offset}")
    return evaluate(expr, scope)


def _eval(node: Expr, env: _Env) -> Any:
    try:
        return _EVALUATORS[type(node)](node, env)
    except _Unknowable as exc:
        return exc.value
    except Exception as exc:  # never raise: a failure is confined to the node that failed
        return Unknown(f"{_ERROR}{exc}")


def _eval_variable(node: Variable, env: _Env) -> Any:
    if node.name in env.names:
        return env.names[node.name]
    return env.scope.resolve_root(node.name)


def _eval_splat(node: Splat, env: _Env) -> Any:
    source = _eval(node.source, env)
    if isinstance(source, Traversable):
        source = source.splat()
    if isinstance(source, Unknown):
        return source
    items = [] if source is None else source if isinstance(source, list) else [source]
    slot = _splat_name(node.slot)
    return [_eval(node.each, env.bind({slot: item})) for item in items]


def _splat_name(slot: int) -> str:
    return f"\0splat{slot}"  # cannot clash with an identifier


def _eval_object(node: ObjectExpr, env: _Env) -> dict[str, Any]:
    return {_map_key(_eval(key, env)): _eval(value, env) for key, value in node.items}


def _eval_unary(node: Unary, env: _Env) -> Any:
    value = _eval(node.operand, env)
    if node.op == "!":
        return not _to_bool(value)
    return -_to_number(value)


def _eval_binary(node: Binary, env: _Env) -> Any:
    left, right = _eval(node.left, env), _eval(node.right, env)
    if node.op in ("&&", "||"):
        return _logical(node.op, _as_bool(left), _as_bool(right))
    if node.op in ("==", "!="):
        equal = _equal(left, right)
        return equal if isinstance(equal, Unknown) else equal == (node.op == "==")
    return _ARITHMETIC[node.op](_to_number(left), _to_number(right))


def _logical(op: str, left: bool | Unknown, right: bool | Unknown) -> bool | Unknown:
    """&& and || answer when the known side decides, even if the other side is Unknown."""
    decisive = op == "||"
    if left is decisive or right is decisive:
        return decisive
    if isinstance(left, Unknown):
        return left
    return right if isinstance(right, Unknown) else not decisive


def _eval_conditional(node: Conditional, env: _Env) -> Any:
    condition = _as_bool(_eval(node.condition, env))
    if condition is True:
        return _eval(node.if_true, env)
    if condition is False:
        return _eval(node.if_false, env)
    if_true, if_false = _eval(node.if_true, env), _eval(node.if_false, env)
    return if_true if _equal(if_true, if_false) is True else condition


def _eval_call(node: FunctionCall, env: _Env) -> Any:
    if node.name in _LAZY_FUNCTIONS:
        return _LAZY_FUNCTIONS[node.name](node.args, env)
    function = _FUNCTIONS.get(node.name)
    if function is None:
        return Unknown(f"function {node.name}")
    args = [_eval(arg, env) for arg in node.args]
    if node.expand_final and args:
        args.extend(_list(args.pop(), "expansion"))
    if node.name not in _UNKNOWN_ARGS_OK:
        for arg in args:
            if isinstance(arg, Unknown):
                return arg
    try:
        return function(*args)
    except (_Unknowable, _EvalError):
        raise
    except Exception as exc:  # bad argument types and the like
        raise _EvalError(f"{node.name}: {exc}") from exc


def _eval_for(node: ForExpr, env: _Env) -> Any:
    collection = _eval(node.collection, env)
    if node.key is None:
        return [
            _eval(node.value, inner)
            for inner in _iterations(node.key_var, node.value_var, collection, env)
            if _included(node.condition, inner)
        ]
    result: dict[str, Any] = {}
    for inner in _iterations(node.key_var, node.value_var, collection, env):
        if not _included(node.condition, inner):
            continue
        key = _map_key(_eval(node.key, inner))
        value = _eval(node.value, inner)
        if node.group:
            result.setdefault(key, []).append(value)
        elif key in result:
            raise _EvalError(f"duplicate key {key!r} in for expression (use ... to group)")
        else:
            result[key] = value
    return result


def _iterations(key_var: str | None, value_var: str, collection: Any, env: _Env) -> Iterator[_Env]:
    """One environment per element: lists by index, maps by sorted key, as Terraform does."""
    if isinstance(collection, list):
        pairs: Any = enumerate(collection)
    elif isinstance(collection, dict):
        pairs = sorted(collection.items())
    else:
        _unknowable(collection, "iteration")
        raise _EvalError(f"cannot iterate over {_type_name(collection)}")
    for key, value in pairs:
        yield env.bind({value_var: value} if key_var is None else {key_var: key, value_var: value})


def _included(condition: Expr | None, env: _Env) -> bool:
    """An Unknown filter makes the whole result Unknown: its length cannot be known."""
    return condition is None or _to_bool(_eval(condition, env))


def _render_parts(parts: list[Expr], env: _Env) -> str:
    out: list[str] = []
    for part in parts:
        if isinstance(part, TemplateIf):
            chosen = part.then if _to_bool(_eval(part.condition, env)) else part.otherwise
            out.append(_render_parts(chosen, env))
        elif isinstance(part, TemplateFor):
            collection = _eval(part.collection, env)
            for inner in _iterations(part.key_var, part.value_var, collection, env):
                out.append(_render_parts(part.body, inner))
        else:
            out.append(_render(_eval(part, env)))
    return "".join(out)


def _get_attr(obj: Any, name: str) -> Any:
    if isinstance(obj, Traversable):
        return obj.get_attr(name)
    if isinstance(obj, dict):
        if name in obj:
            return obj[name]
        raise _EvalError(f"no attribute {name!r}")
    _unknowable(obj, f"attribute {name}")
    raise _EvalError(f"{_type_name(obj)} has no attribute {name!r}")


def _index(obj: Any, key: Any) -> Any:
    if isinstance(obj, Unknown):
        return obj
    if isinstance(key, Unknown):
        return key
    if isinstance(obj, Traversable):
        return obj.get_index(key)
    if isinstance(obj, list):
        position = _to_index(key)
        if position >= len(obj):
            raise _EvalError(f"index {position} out of range for a list of {len(obj)}")
        return obj[position]
    if isinstance(obj, dict):
        name = _map_key(key)
        if name not in obj:
            raise _EvalError(f"no key {name!r}")
        return obj[name]
    _unknowable(obj, "index")
    raise _EvalError(f"cannot index {_type_name(obj)}")


_EVALUATORS: dict[type, Callable[[Any, _Env], Any]] = {
    Literal: lambda node, env: node.value,
    Template: lambda node, env: _render_parts(node.parts, env),
    TemplateWrap: lambda node, env: _eval(node.expr, env),
    Parens: lambda node, env: _eval(node.expr, env),
    Variable: _eval_variable,
    GetAttr: lambda node, env: _get_attr(_eval(node.obj, env), node.name),
    Index: lambda node, env: _index(_eval(node.obj, env), _eval(node.key, env)),
    Splat: _eval_splat,
    SplatItem: lambda node, env: env.names[_splat_name(node.slot)],
    TupleExpr: lambda node, env: [_eval(item, env) for item in node.items],
    ObjectExpr: _eval_object,
    FunctionCall: _eval_call,
    Unary: _eval_unary,
    Binary: _eval_binary,
    Conditional: _eval_conditional,
    ForExpr: _eval_for,
}


# ---------------------------------------------------------------------------------------------
# Value helpers (Terraform's conversions and comparisons)
# ---------------------------------------------------------------------------------------------


def _type_name(value: Any) -> str:
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


def _unknowable(value: Any, use: str) -> None:
    """Raise _Unknowable when value is Unknown or opaque (an entity identity, a lazy object)."""
    if isinstance(value, Unknown):
        raise _Unknowable(value)
    if isinstance(value, (EntityRef, Traversable)):
        raise _Unknowable(Unknown(f"{use} of {type(value).__name__}"))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _normalize(number: int | float) -> int | float:
    """Integral results are ints: Terraform numbers are exact, so 4/2 is 2."""
    if isinstance(number, float) and number.is_integer():
        return int(number)
    return number


def _to_number(value: Any) -> int | float:
    if _is_number(value):
        return value
    _unknowable(value, "number")
    if isinstance(value, str) and _NUMERIC_STRING_RE.fullmatch(value):
        return _number_literal(value)
    raise _EvalError(f"a number is required, got {_type_name(value)} {value!r}")


def _to_int(value: Any) -> int:
    number = _normalize(_to_number(value))
    if isinstance(number, float):
        raise _EvalError(f"a whole number is required, got {number}")
    return number


def _to_index(value: Any) -> int:
    number = _to_int(value)
    if number < 0:
        raise _EvalError(f"negative index {number}")
    return number


def _as_bool(value: Any) -> bool | Unknown:
    """Terraform's conversion to bool; Unknown (not raised) when the value cannot be known."""
    if isinstance(value, (bool, Unknown)):
        return value
    if isinstance(value, (EntityRef, Traversable)):
        return Unknown(f"bool of {type(value).__name__}")
    if value in ("true", "false"):
        return value == "true"
    raise _EvalError(f"a bool is required, got {_type_name(value)}")


def _to_bool(value: Any) -> bool:
    result = _as_bool(value)
    if isinstance(result, Unknown):
        raise _Unknowable(result)
    return result


def _format_number(number: int | float) -> str:
    if isinstance(number, int):
        return str(number)
    if not math.isfinite(number):
        raise _EvalError("number is not finite")
    if number.is_integer():
        return str(int(number))
    # 15 significant digits hide binary rounding noise (0.1 + 0.2 renders "0.3"), no exponent
    return format(Decimal(format(number, ".15g")), "f")


def _render(value: Any) -> str:
    """Terraform's conversion to string, as in template interpolation."""
    if isinstance(value, str):
        return value
    _unknowable(value, "string")
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_number(value):
        return _format_number(value)
    raise _EvalError(f"cannot convert {_type_name(value)} to string")


def _map_key(value: Any) -> str:
    if value is None:
        raise _EvalError("map key is null")
    return _render(value)


def _equal(a: Any, b: Any) -> bool | Unknown:
    """Deep equality without conversions (1 == "1" is false); Unknown when it cannot be decided."""
    for value in (a, b):
        if isinstance(value, Unknown):
            return value
        if isinstance(value, Traversable):
            return Unknown("comparison of an object")
    if _is_number(a) and _is_number(b):
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        if a.keys() != b.keys():
            return False
        return _all_equal([(a[key], b[key]) for key in a])
    if isinstance(a, list):
        return len(a) == len(b) and _all_equal(list(zip(a, b)))
    return a == b


def _all_equal(pairs: list[tuple[Any, Any]]) -> bool | Unknown:
    undecided: Unknown | None = None
    for a, b in pairs:
        result = _equal(a, b)
        if result is False:
            return False
        if isinstance(result, Unknown) and undecided is None:
            undecided = result
    return True if undecided is None else undecided


def _unknowns(value: Any) -> Iterator[Unknown]:
    if isinstance(value, Unknown):
        yield value
    elif isinstance(value, (list, dict)):
        for item in value.values() if isinstance(value, dict) else value:
            yield from _unknowns(item)


def _has_error(value: Any) -> bool:
    return any(unknown.reason.startswith(_ERROR) for unknown in _unknowns(value))


def _require_known(value: Any, refs_ok: bool = True) -> None:
    """Raise _Unknowable when any nested element is Unknown (or opaque, unless refs_ok)."""
    if isinstance(value, (list, dict)):
        for item in value.values() if isinstance(value, dict) else value:
            _require_known(item, refs_ok)
    elif isinstance(value, Unknown) or not refs_ok:
        _unknowable(value, "value")


def _freeze(value: Any) -> Any:
    """Hashable, type-tagged form of a known value, for de-duplication."""
    if isinstance(value, list):
        return ("list", tuple(_freeze(item) for item in value))
    if isinstance(value, dict):
        return ("map", tuple(sorted((key, _freeze(item)) for key, item in value.items())))
    if isinstance(value, Traversable):
        return ("object", id(value))
    return (_type_name(value), value)


def _dedupe(items: list[Any]) -> list[Any]:
    """First occurrences in order; elements holding an Unknown are kept (they may differ)."""
    seen: set[Any] = set()
    result = []
    for item in items:
        if next(_unknowns(item), None) is None:
            key = _freeze(item)
            if key in seen:
                continue
            seen.add(key)
        result.append(item)
    return result


def _divide(a: int | float, b: int | float) -> int | float:
    if b == 0:
        raise _EvalError("division by zero")
    if isinstance(a, int) and isinstance(b, int) and a % b == 0:
        return a // b
    return _normalize(a / b)


def _modulo(a: int | float, b: int | float) -> int | float:
    """Remainder with the sign of the dividend, as Terraform computes it."""
    if b == 0:
        raise _EvalError("modulo by zero")
    if isinstance(a, int) and isinstance(b, int):
        remainder = abs(a) % abs(b)
        return -remainder if a < 0 else remainder
    return _normalize(math.fmod(a, b))


_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: _normalize(a + b),
    "-": lambda a, b: _normalize(a - b),
    "*": lambda a, b: _normalize(a * b),
    "/": _divide,
    "%": _modulo,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


# ---------------------------------------------------------------------------------------------
# Functions. Unless listed in _UNKNOWN_ARGS_OK, a call with an Unknown argument is that Unknown.
# ---------------------------------------------------------------------------------------------


def _list(value: Any, function: str) -> list[Any]:
    if isinstance(value, list):
        return value
    _unknowable(value, function)
    raise _EvalError(f"{function}: a list is required, got {_type_name(value)}")


def _dict(value: Any, function: str) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    _unknowable(value, function)
    raise _EvalError(f"{function}: a map is required, got {_type_name(value)}")


def _fn_concat(*lists: Any) -> list[Any]:
    return [item for value in lists for item in _list(value, "concat")]


def _fn_flatten(value: Any) -> list[Any]:
    result: list[Any] = []
    for item in _list(value, "flatten"):
        result.extend(_fn_flatten(item) if isinstance(item, list) else [item])
    return result


def _fn_toset(value: Any) -> list[Any]:
    items = _dedupe(_list(value, "toset"))
    if all(isinstance(item, str) for item in items):
        items.sort()
    return items


def _fn_distinct(value: Any) -> list[Any]:
    _require_known(value)
    return _dedupe(_list(value, "distinct"))


def _fn_tostring(value: Any) -> Any:
    if value is None or isinstance(value, (str, EntityRef)):  # an entity's id is a string
        return value
    return _render(value)


def _fn_join(separator: Any, *lists: Any) -> str:
    return _render(separator).join(_render(item) for value in lists for item in _list(value, "join"))


def _fn_lookup(mapping: Any, key: Any, *default: Any) -> Any:
    if len(default) > 1:
        raise _EvalError("lookup: too many arguments")
    values, name = _dict(mapping, "lookup"), _map_key(key)
    if name in values:
        return values[name]
    if default:
        return default[0]
    raise _EvalError(f"lookup: no key {name!r}")


def _fn_element(value: Any, index: Any) -> Any:
    items, position = _list(value, "element"), _to_index(index)
    if not items:
        raise _EvalError("element: empty list")
    return items[position % len(items)]


def _fn_coalesce(*args: Any) -> Any:
    for value in args:
        if isinstance(value, Unknown):  # it might be the decisive one
            return value
        if value is not None and value != "":
            return value
    raise _EvalError("coalesce: no non-null, non-empty argument")


def _fn_coalescelist(*args: Any) -> Any:
    for value in args:
        if isinstance(value, Unknown) or _list(value, "coalescelist"):
            return value
    raise _EvalError("coalescelist: no non-empty list")


def _fn_try(args: list[Expr], env: _Env) -> Any:
    for arg in args:
        value = _eval(arg, env)
        if not _has_error(value):
            return value
    raise _EvalError("try: no argument could be evaluated")


def _fn_can(args: list[Expr], env: _Env) -> Any:
    if len(args) != 1:
        raise _EvalError("can: exactly one argument is required")
    value = _eval(args[0], env)
    if _has_error(value):
        return False
    return next(_unknowns(value), True)


def _fn_length(value: Any) -> int:
    if isinstance(value, (list, dict, str)):
        return len(value)
    _unknowable(value, "length")
    raise _EvalError(f"length: cannot measure {_type_name(value)}")


def _fn_merge(*maps: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for value in maps:
        if value is not None:
            result.update(_dict(value, "merge"))
    return result


def _fn_contains(value: Any, wanted: Any) -> bool | Unknown:
    """True on a known match; otherwise an Unknown element leaves the answer Unknown."""
    undecided: Unknown | None = None
    for item in _list(value, "contains"):
        equal = _equal(item, wanted)
        if equal is True:
            return True
        if isinstance(equal, Unknown) and undecided is None:
            undecided = equal
    return False if undecided is None else undecided


def _format_int(value: Any) -> str:
    return str(_to_int(value))


def _format_any(value: Any) -> str:
    return _fn_jsonencode(value) if isinstance(value, (list, dict)) else _render(value)


_FORMAT_VERBS: dict[str, Callable[[Any], str]] = {
    "s": _render,
    "d": _format_int,
    "v": _format_any,
    "q": lambda value: json.dumps(_render(value), ensure_ascii=False),
}
_FORMAT_VERB_RE = re.compile(r"%(.?)", re.DOTALL)


def _fn_format(spec: Any, *args: Any) -> str:
    used = 0

    def substitute(match: re.Match[str]) -> str:
        nonlocal used
        verb = match.group(1)
        if verb == "%":
            return "%"
        if verb not in _FORMAT_VERBS:
            raise _EvalError(f"format: unsupported verb %{verb}")
        if used >= len(args):
            raise _EvalError("format: not enough arguments")
        used += 1
        return _FORMAT_VERBS[verb](args[used - 1])

    result = _FORMAT_VERB_RE.sub(substitute, _render(spec))
    if used < len(args):
        raise _EvalError("format: too many arguments")
    return result


def _fn_replace(value: Any, search: Any, replacement: Any) -> Any:
    search = _render(search)
    if len(search) > 1 and search.startswith("/") and search.endswith("/"):
        return Unknown("function replace with a regular expression")
    return _render(value).replace(search, _render(replacement))


def _network(prefix: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(_render(prefix), strict=False)


def _fn_cidrsubnet(prefix: Any, newbits: Any, netnum: Any) -> str:
    network, bits, number = _network(prefix), _to_index(newbits), _to_index(netnum)
    length = network.prefixlen + bits
    if length > network.max_prefixlen:
        raise _EvalError(f"cidrsubnet: {bits} more bits do not fit in {network}")
    if number >= 1 << bits:
        raise _EvalError(f"cidrsubnet: {number} does not fit in {bits} bits")
    base = int(network.network_address) + (number << (network.max_prefixlen - length))
    return f"{type(network.network_address)(base)}/{length}"


def _fn_cidrhost(prefix: Any, hostnum: Any) -> str:
    network, number = _network(prefix), _to_int(hostnum)
    if number < 0:  # counts back from the end of the range
        number += network.num_addresses
    if not 0 <= number < network.num_addresses:
        raise _EvalError(f"cidrhost: host {hostnum} is outside {network}")
    return str(type(network.network_address)(int(network.network_address) + number))


def _fn_cidrnetmask(prefix: Any) -> str:
    network = _network(prefix)
    if network.version != 4:
        raise _EvalError("cidrnetmask: only IPv4 prefixes have a netmask")
    return str(network.netmask)


def _fn_range(*args: Any) -> list[int | float]:
    numbers = [_to_number(arg) for arg in args]
    if not 1 <= len(numbers) <= 3:
        raise _EvalError("range: 1 to 3 arguments are required")
    if len(numbers) == 1:
        numbers.insert(0, 0)
    start, limit = numbers[0], numbers[1]
    step = numbers[2] if len(numbers) == 3 else (1 if limit >= start else -1)
    if step == 0:
        raise _EvalError("range: step must not be zero")
    result: list[int | float] = []
    value = start
    while value < limit if step > 0 else value > limit:
        if len(result) >= 1024:  # Terraform's own limit
            raise _EvalError("range: more than 1024 elements")
        result.append(value)
        value = _normalize(start + step * len(result))  # no accumulated float drift
    return result


def _fn_zipmap(keys: Any, values: Any) -> dict[str, Any]:
    names, items = _list(keys, "zipmap"), _list(values, "zipmap")
    _require_known(names)
    if len(names) != len(items):
        raise _EvalError("zipmap: keys and values differ in length")
    return {_map_key(name): item for name, item in zip(names, items)}


def _fn_slice(value: Any, start: Any, end: Any) -> list[Any]:
    items, first, last = _list(value, "slice"), _to_index(start), _to_index(end)
    if not first <= last <= len(items):
        raise _EvalError(f"slice: invalid range {first}..{last} of {len(items)}")
    return items[first:last]


def _fn_one(value: Any) -> Any:
    items = _list(value, "one")
    if len(items) > 1:
        raise _EvalError("one: more than one element")
    return items[0] if items else None


def _fn_sum(value: Any) -> int | float:
    numbers = [_to_number(item) for item in _list(value, "sum")]
    if not numbers:
        raise _EvalError("sum: empty list")
    return _normalize(sum(numbers))


_JSON_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def _fn_jsonencode(value: Any) -> str:
    _require_known(value, refs_ok=False)
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False, allow_nan=False)
    return text.translate(_JSON_ESCAPES)  # these characters only occur inside JSON strings


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": lambda number: abs(_to_number(number)),
    "cidrhost": _fn_cidrhost,
    "cidrnetmask": _fn_cidrnetmask,
    "cidrsubnet": _fn_cidrsubnet,
    "coalesce": _fn_coalesce,
    "coalescelist": _fn_coalescelist,
    "compact": lambda value: [item for item in _list(value, "compact") if item is not None and item != ""],
    "concat": _fn_concat,
    "contains": _fn_contains,
    "distinct": _fn_distinct,
    "element": _fn_element,
    "flatten": _fn_flatten,
    "format": _fn_format,
    "join": _fn_join,
    "jsonencode": _fn_jsonencode,
    "keys": lambda value: sorted(_dict(value, "keys")),
    "length": _fn_length,
    "lookup": _fn_lookup,
    "lower": lambda value: _render(value).lower(),
    "max": lambda *numbers: max(_to_number(number) for number in numbers),
    "merge": _fn_merge,
    "min": lambda *numbers: min(_to_number(number) for number in numbers),
    "one": _fn_one,
    "range": _fn_range,
    "replace": _fn_replace,
    "slice": _fn_slice,
    "split": lambda separator, value: _render(value).split(_render(separator)),
    "sum": _fn_sum,
    "tobool": lambda value: None if value is None else _to_bool(value),
    "tolist": lambda value: list(_list(value, "tolist")),
    "tomap": lambda value: dict(_dict(value, "tomap")),
    "tonumber": lambda value: None if value is None else _to_number(value),
    "toset": _fn_toset,
    "tostring": _fn_tostring,
    "trimspace": lambda value: _render(value).strip(),
    "upper": lambda value: _render(value).upper(),
    "values": lambda value: [item for _, item in sorted(_dict(value, "values").items())],
    "zipmap": _fn_zipmap,
}
_UNKNOWN_ARGS_OK = frozenset({"coalesce", "coalescelist"})  # an Unknown after the answer is harmless
# These receive their argument expressions unevaluated: they must observe failures, not suffer them.
_LAZY_FUNCTIONS: dict[str, Callable[[list[Expr], _Env], Any]] = {"try": _fn_try, "can": _fn_can}


# ---------------------------------------------------------------------------------------------
# Static references
# ---------------------------------------------------------------------------------------------


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
            children = [child for child in _children(node) if child is not node.collection]
            stack.extend((child, inner) for child in reversed(children))
            stack.append((node.collection, bound))
        else:
            stack.extend((child, bound) for child in reversed(_children(node)))
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


def _children(node: Expr) -> list[Expr]:
    """Direct sub-expressions in source order (fields hold nodes, lists of nodes or key/value pairs)."""
    return list(_nodes_in([getattr(node, field.name) for field in fields(node)]))


def _nodes_in(values: Any) -> Iterator[Expr]:
    for value in values:
        if isinstance(value, Expr):
            yield value
        elif isinstance(value, (list, tuple)):
            yield from _nodes_in(value)
