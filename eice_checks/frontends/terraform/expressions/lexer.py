"""Expression text -> tokens. Templates (quoted strings, heredocs) nest in expressions and vice versa."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ....escape import WORD_CHARS, excerpt
from ...common import MAX_NUMBER_CHARS, NUMBER_TOO_LONG
from .syntax import MAX_NESTING, TOO_DEEP, HclExpressionError

_BLANK_RE = re.compile(r"(?:[ \t\r]+|#[^\n]*|//[^\n]*|/\*.*?\*/)*", re.DOTALL)
_NUMBER_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_DIGITS_RE = re.compile(r"[0-9]+")
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
# Each template level is two modes (the template and its interpolation): deeper than the parser would
# accept is refused at once, which also bounds the forward scans for heredoc terminators.
_MAX_MODES = 2 * MAX_NESTING + 1


@dataclass(slots=True)
class Token:
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


class Lexer:
    """Linear scanner. Templates nest in expressions and vice versa, hence a stack of modes."""

    def __init__(self, src: str) -> None:
        self.src = src
        self.pos = 0
        self.tokens: list[Token] = []
        self.modes: list[_ExprMode | _TemplateMode] = [_ExprMode()]

    def run(self) -> list[Token]:
        while True:
            mode = self.modes[-1]
            if isinstance(mode, _TemplateMode):
                self._template(mode)
            elif not self._expr_token(mode):
                return self.tokens

    def _emit(self, kind: str, value: Any, offset: int) -> None:
        self.tokens.append(Token(kind, value, offset))

    def _push(self, mode: _ExprMode | _TemplateMode, offset: int) -> None:
        self._check_depth(offset)
        self.modes.append(mode)

    def _check_depth(self, offset: int) -> None:
        if len(self.modes) >= _MAX_MODES:
            raise HclExpressionError(TOO_DEEP, offset)

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
            if match.end() - pos > MAX_NUMBER_CHARS:  # Python cannot convert much longer digit strings
                raise HclExpressionError(NUMBER_TOO_LONG, pos)
            self._emit("num", match.group(), pos)
            self.pos = match.end()
        elif match := _IDENT_RE.match(src, pos):
            self._emit("ident", match.group(), pos)
            self.pos = match.end()
        elif ch == '"':
            self._emit("oquote", None, pos)
            self._push(_TemplateMode(start=pos), pos)
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
            raise HclExpressionError(f"unexpected character '{excerpt(self.src[pos])}'", pos)
        if op == "{":
            mode.depth += 1
        elif op == "}" and mode.depth:
            mode.depth -= 1
        self._emit("op", op, pos)
        self.pos = pos + width

    def _heredoc(self, match: re.Match[str]) -> None:
        self._check_depth(match.start())  # before the scan for the terminator
        src, marker = self.src, match.group(2)
        body = line = match.end()
        while True:  # find the terminator line
            newline = src.find("\n", line)
            line_end = len(src) if newline < 0 else newline
            if src[line:line_end].strip() == marker:
                break
            if newline < 0:
                raise HclExpressionError(f"unterminated heredoc, expected {excerpt(marker, WORD_CHARS)}", match.start())
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
                self._push(_ExprMode(in_template=True), pos)
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

