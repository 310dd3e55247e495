"""Read the structure of a .tf file (blocks, labels, attributes and their positions) with tree-sitter-hcl.

tree-sitter-hcl is a compiled grammar: it reads files several times faster than python-hcl2's lark
parser (about 7x on terraform-aws-modules' 712 files), gives exact positions for every node, accepts valid files python-hcl2 rejects (a heredoc
whose closing marker has trailing spaces, a comment between block labels, non-ASCII identifiers),
and installs no ``hcl2`` module (checkov's fork owns that name: FACTS.md). Only the file's
structure is read from its tree; each attribute's expression is kept as source text and parsed
by the expression parser, because the grammar's expression nodes have traps (``a ? b : c ? d : e``
comes out left-associated, ``.*`` swallows a following ``[0]``, escapes are left raw).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

from ...escape import EXCERPT_CHARS, excerpt
from .expressions.parser import parsed
from .expressions.syntax import HclExpressionError

# Up to this size a file is parsed in one call. Above it, parsing stops at the first syntax error:
# tree-sitter's error recovery over a large broken file costs seconds and hundreds of MB, and a
# broken file is reported whole anyway. (Watching for errors costs some speed, so small files skip it.)
_WATCHED_ABOVE = 64 * 1024
# Locating an error precisely re-parses with the parser's log, which is slow: only this far.
_LOGGED_UP_TO = 128 * 1024
_CHUNK = 1 << 20  # bytes handed to the parser per read
_MAX_BLOCK_DEPTH = 100  # Terraform nests blocks a few levels deep; deeper is hostile input
# tree-sitter's tree costs about 90 bytes per byte of input (450 MB for a 5 MB file): a large file is
# parsed a piece of top-level blocks at a time, each piece's tree freed once it has been read.
_PIECE = 512 * 1024
_MAX_PIECE = 4 << 20  # a top-level block larger than this (a tree of some 400 MB) is not read
_TOP_LEVEL_END = b"\n}\n"  # a block closed in column 0: the end of a top-level block (formatted code)


class HclFileError(Exception):
    def __init__(self, message: str, line: Optional[int], column: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class HclUnavailable(Exception):
    """tree-sitter or its HCL grammar cannot be imported (a broken install)."""


@dataclass(slots=True)  # no __dict__: a large file holds hundreds of thousands
class Attribute:
    name: str
    source: str  # the expression's source text
    line: int
    file: str = ""  # set when it comes from another file than its block (an override file)
    column: int = field(default=0, compare=False)  # 1-based, in characters; 0 when not known


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment that may hold a suppression (``# eice-checks:ignore``, ``#checkov:skip=``): other
    comments are not kept. ``block``: the line of the top-level block it is written in (0: none).
    ``span``: the first and last line of what it annotates: the attribute or block it ends the line
    of, the block whose opening line it is on, else the next attribute or block in its body (else
    its own line)."""

    text: str
    line: int
    block: int = 0
    span: tuple[int, int] = (0, 0)


# Only comments that name one of these are kept (tree-sitter makes every comment a node).
_SUPPRESSION_MARKERS = ("eice-checks:", "checkov:skip")


@dataclass(slots=True)
class Body:
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list["Block"] = field(default_factory=list)
    comments: Optional[list[Comment]] = None  # a file's body only: the suppression comments in it

    def blocks_of(self, block_type: str) -> list["Block"]:
        return [b for b in self.blocks if b.type == block_type]


@dataclass(slots=True)
class Block:
    type: str
    labels: list[str]
    body: Body
    line: int
    file: str = ""  # set when it comes from another file than its parent (an override file)
    column: int = field(default=0, compare=False)

    @property
    def generates(self) -> str:
        """The block type it stands for: ``dynamic "ingress"`` generates ``ingress`` blocks."""
        return self.labels[0] if self.type == "dynamic" and self.labels else self.type


_parser: Any = None


def _get_parser() -> Any:
    """Load the grammar on first use only: most commits touch no Terraform."""
    global _parser
    if _parser is None:
        try:
            import tree_sitter
            import tree_sitter_hcl
        except ImportError as exc:
            raise HclUnavailable(f"reading Terraform needs tree-sitter and tree-sitter-hcl, dependencies of "
                                 f"eice-checks that could not be imported ({exc}): pip install --force-reinstall "
                                 f"eice-checks") from None
        _parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_hcl.language()))
    return _parser


def parse_file(text: str) -> Body:
    """The file's structure; HclFileError for its first syntax error. A large file is read a piece of
    top-level blocks at a time (see _PIECE)."""
    data = text.encode("utf-8", "surrogateescape")
    body = Body()
    start = first_line = 0
    body.comments = []
    while start < len(data):
        end, part = _read_piece(data, start, first_line)
        body.attributes.update(part.attributes)
        body.blocks.extend(part.blocks)
        body.comments.extend(part.comments or ())
        first_line += data.count(b"\n", start, end)
        start = end
    return body


def _read_piece(data: bytes, start: int, first_line: int) -> tuple[int, Body]:
    """(end, structure) of the piece that starts at ``start``: the rest of a small file, else the
    top-level blocks up to the first that ends past _PIECE more bytes. A piece is grown while it
    does not parse alone (it may end inside a heredoc holding a line "}"); one that parses alone
    ends where everything opened in it is closed, so the next starts at the top level."""
    end = _piece_end(data, start, start)
    if end - start > _MAX_PIECE:
        raise HclFileError(f"not read: a top-level block larger than {_MAX_PIECE >> 20} MiB", first_line + 1)
    while True:
        piece = data[start:end]
        text = piece.decode("utf-8", "surrogateescape")
        tree = _parse(piece)
        if tree is not None and not tree.root_node.has_error:
            return end, _Reader(piece, text, first_line).file_body(tree.root_node)
        retried = _parse_exponents(text, first_line)
        if retried is not None:
            return end, retried
        grown = _piece_end(data, start, end)
        if end == len(data) or grown - start > _MAX_PIECE:
            error = _syntax_error(piece, tree)
            raise HclFileError(error.message, error.line and first_line + error.line, error.column)
        end = grown


def _piece_end(data: bytes, start: int, end: int) -> int:
    """Where a piece from ``start`` ends; twice as far as ``end`` for one that did not parse (so a
    hostile heredoc costs a few re-parses, not one per line)."""
    if len(data) - start <= 2 * _PIECE:
        return len(data)
    found = data.find(_TOP_LEVEL_END, start + max(_PIECE, 2 * (end - start)))
    found = len(data) if found < 0 else found + len(_TOP_LEVEL_END)
    if end == start and found - start > _MAX_PIECE:  # a huge block ahead: the piece ends before it
        before = data.rfind(_TOP_LEVEL_END, start, start + _PIECE)
        return before + len(_TOP_LEVEL_END) if before >= 0 else found
    return found


def _parse(data: bytes) -> Any:
    """The tree, or None when parsing was stopped at the first error of a large file."""
    parser = _get_parser()
    parser.reset()
    if len(data) <= _WATCHED_ABOVE:
        return parser.parse(data)
    try:
        # The callback gets (byte offset, has_error) and stops the parse on a true result: the
        # builtin min() is true exactly when has_error is (offsets past 0), at C speed.
        return parser.parse(lambda offset, _point: data[offset:offset + _CHUNK], progress_callback=min)
    except ValueError:  # "Parsing failed": stopped by the callback
        return None


# Terraform accepts numbers with an exponent and no fraction (1e5); tree-sitter-hcl does not.
_EXPONENT = re.compile(r"(?<![\w.\"])(\d+)([eE][+-]?\d+)(?![\w.])")


def _parse_exponents(text: str, first_line: int) -> Optional[Body]:
    """Re-read a piece that failed only on such numbers, written as 1.0e5 (lines do not move)."""
    if not _EXPONENT.search(text):
        return None
    patched = _EXPONENT.sub(r"\1.0\2", text)
    data = patched.encode("utf-8", "surrogateescape")
    tree = _parse(data)
    if tree is None or tree.root_node.has_error:
        return None
    return _Reader(data, patched, first_line).file_body(tree.root_node)


class _Reader:
    """Blocks and attributes out of a tree; expressions stay text."""

    def __init__(self, data: bytes, text: str, first_line: int = 0) -> None:
        self.data = data
        self.ascii = len(data) == len(text)  # then byte offsets are character offsets
        self.text = text
        self.first_line = first_line  # lines of the file before ``data`` (a piece of a large file)
        self.comments: list[Comment] = []
        self._top_block = 0  # line of the top-level block being read
        self._last = (0, 0)  # lines of the last attribute or block read
        self._open: list[tuple[int, int]] = []  # lines of the blocks being read, innermost last
        self._pending: list[tuple[str, int, int]] = []  # comments waiting for the next attribute or block

    def _comment(self, node: Any) -> None:
        """Keep a comment that may hold a suppression. Comments are children of a body, of a block
        (before and after its body) or of the file; those inside an expression are not read."""
        text = self._slice(node)
        if not any(marker in text for marker in _SUPPRESSION_MARKERS):
            return
        line = self.first_line + node.start_point[0] + 1
        if line == self._last[1]:
            self.comments.append(Comment(text, line, self._top_block, self._last))
        elif self._open and line == self._open[-1][0]:
            self.comments.append(Comment(text, line, self._top_block, self._open[-1]))
        else:
            self._pending.append((text, line, self._top_block))

    def _annotated(self, node: Any) -> tuple[int, int]:
        """The lines of an attribute or block about to be read; comments waiting for it get them."""
        span = (self.first_line + node.start_point[0] + 1, self.first_line + node.end_point[0] + 1)
        if self._pending:
            self._flush(span)
        return span

    def _flush(self, span: Optional[tuple[int, int]] = None) -> None:
        self.comments.extend(Comment(text, line, block, span or (line, line)) for text, line, block in self._pending)
        self._pending.clear()

    def _slice(self, node: Any) -> str:
        if self.ascii:
            return self.text[node.start_byte:node.end_byte]
        return self.data[node.start_byte:node.end_byte].decode("utf-8", "surrogateescape")

    def _column(self, node: Any, point: Any) -> int:
        if self.ascii:
            return point[1] + 1
        row_start = node.start_byte - point[1]
        return len(self.data[row_start:node.start_byte].decode("utf-8", "surrogateescape")) + 1

    def file_body(self, root: Any) -> Body:
        body = Body()
        cursor = root.walk()
        if cursor.goto_first_child():
            while True:
                kind = cursor.node.type
                if kind == "body":
                    body = self._body(cursor, 0)
                elif kind == "comment":
                    self._comment(cursor.node)
                if not cursor.goto_next_sibling():
                    break
        self._flush()
        body.comments = self.comments
        return body

    # A cursor walks the tree without building a list of every node's children, and only blocks
    # and bodies are entered: expressions are taken whole, as text.
    def _body(self, cursor: Any, depth: int) -> Body:
        """The body under ``cursor``; the cursor is back on it afterwards."""
        body = Body()
        if not cursor.goto_first_child():
            return body
        while True:
            node = cursor.node
            kind = node.type
            if kind == "attribute":
                attribute = self._attribute(node)
                body.attributes[attribute.name] = attribute
            elif kind == "block":
                body.blocks.append(self._block(cursor, depth))
            elif kind == "comment":
                self._comment(node)
            if not cursor.goto_next_sibling():
                break
        cursor.goto_parent()
        return body

    def _attribute(self, node: Any) -> Attribute:
        """The attribute at ``node``; its expression must parse, as Terraform would refuse the file:
        a syntax error (a nesting too deep to evaluate, a number too long to convert...) is the file's
        error, with its place, whether or not the value is ever needed."""
        name = self._slice(node.child(0))
        point = node.start_point
        self._last = self._annotated(node)
        expression = node.child(node.child_count - 1)
        text = self._slice(expression)
        source = text.strip()
        problem = parsed(source)
        if isinstance(problem, HclExpressionError):
            start = expression.start_point
            offset = len(text) - len(text.lstrip()) + problem.offset
            before = text[:offset]
            line = self.first_line + start[0] + 1 + before.count("\n")
            column = offset - before.rfind("\n") if "\n" in before else self._column(expression, start) + offset
            raise HclFileError(problem.message, line, column)
        return Attribute(name, source, self.first_line + point[0] + 1, column=self._column(node, point))

    def _block(self, cursor: Any, depth: int) -> Block:
        node = cursor.node
        point = node.start_point
        if depth >= _MAX_BLOCK_DEPTH:
            raise HclFileError(f"blocks nested more than {_MAX_BLOCK_DEPTH} deep", self.first_line + point[0] + 1,
                               point[1] + 1)
        if depth == 0:
            self._top_block = self.first_line + point[0] + 1
        span = self._annotated(node)
        self._open.append(span)
        cursor.goto_first_child()
        block_type = self._slice(cursor.node)
        labels: list[str] = []
        body = None
        while cursor.goto_next_sibling():
            child = cursor.node
            kind = child.type
            if kind == "body":
                body = self._body(cursor, depth + 1)
            elif kind in ("string_lit", "identifier"):
                labels.append(self._label(child))
            elif kind == "comment":
                self._comment(child)
        cursor.goto_parent()
        self._flush()  # comments at the end of the block annotate nothing after it
        self._open.pop()
        self._last = span
        if depth == 0:
            self._top_block = 0
        return Block(block_type, labels, body or Body(), self.first_line + point[0] + 1, column=self._column(node, point))

    def _label(self, node: Any) -> str:
        text = self._slice(node)
        return text[1:-1] if node.type == "string_lit" else text


def _syntax_error(data: bytes, tree: Any) -> HclFileError:
    """Where the first syntax error is, and what was found there."""
    node = _first_error_node(tree.root_node) if tree is not None else None
    if len(data) <= _LOGGED_UP_TO:
        found = _first_error_from_log(data)
    else:
        found = _first_error_in_large_file(data, node.start_byte if node is not None else None)
    if found is not None:
        return found
    if node is not None:
        line, column = node.start_point[0] + 1, node.start_point[1] + 1
        return HclFileError(f"syntax error near {_excerpt(data, node.start_byte)}", line, column)
    return HclFileError("syntax error", None)


def _first_error_in_large_file(data: bytes, near: Optional[int]) -> Optional[HclFileError]:
    """Locate the first error of a large file precisely by re-reading, with the log, only the text
    from the top-level block (a line starting in column 0) where parsing first failed."""
    if near is None:
        near = _first_error_offset(data)
        if near is None:
            return None
    start = near
    while start > 0 and near - start < _LOGGED_UP_TO // 2:
        start = data.rfind(b"\n", 0, start - 1) + 1
        if data[start:start + 1].isalpha():
            break
    first_line = data.count(b"\n", 0, start)
    found = _first_error_from_log(data[start:min(len(data), near + 4096)])
    if found is not None and found.line is not None and not found.message.startswith("unexpected end"):
        return HclFileError(found.message, found.line + first_line, found.column)
    return HclFileError("syntax error (noticed here; the cause may be a little earlier)", data.count(b"\n", 0, near) + 1)


def _first_error_offset(data: bytes) -> Optional[int]:
    """Roughly where parsing first fails: the offset at which the parser first reports an error."""
    parser = _get_parser()
    seen: list[int] = []
    parser.reset()
    try:
        parser.parse(lambda offset, _point: data[offset:offset + _CHUNK],
                     progress_callback=lambda offset, error: bool(error and not seen.append(offset)))
    except ValueError:
        pass
    return min(seen[0], len(data)) if seen else None


def _first_error_from_log(data: bytes) -> Optional[HclFileError]:
    """Re-parse with the parser's log: its first ``detect_error`` names the unexpected token, and
    the lexer's position just before it says where that token starts. (An ERROR node in the tree
    often spans from far earlier, e.g. the start of the enclosing block.)"""
    parser = _get_parser()
    state: dict[str, Any] = {"at": None, "error": None}

    def log(_kind: Any, message: str) -> None:
        if state["error"] is not None:
            return
        if message.startswith(("lex_internal", "lex_external")):
            state["at"] = message
        elif message.startswith("detect_error"):
            state["error"] = message

    parser.reset()
    parser.logger = log
    try:
        parser.parse(lambda offset, _point: data[offset:offset + _CHUNK],
                     progress_callback=lambda _offset, _error: state["error"] is not None)
    except ValueError:
        pass  # stopped once the error was seen
    finally:
        parser.logger = None
        parser.reset()
    position = re.search(r"row:(\d+), column:(\d+)", state["at"] or "")
    if state["error"] is None or position is None:
        return None
    row, byte_column = int(position.group(1)), int(position.group(2))
    offset = _offset_of(data, row, byte_column)
    if state["error"].endswith("lookahead:end") or offset >= len(data.rstrip()):
        line = min(row + 1, data.count(b"\n") + (0 if data.endswith(b"\n") else 1))
        return HclFileError("unexpected end of file (an unclosed block, bracket or string?)", max(line, 1))
    line_start = offset - byte_column
    column = len(data[line_start:offset].decode("utf-8", "replace")) + 1
    return HclFileError(f"unexpected {_excerpt(data, offset)}", row + 1, column)


def _offset_of(data: bytes, row: int, byte_column: int) -> int:
    start = 0
    for _ in range(row):
        start = data.find(b"\n", start) + 1
        if start == 0:
            return len(data)
    return start + byte_column


def _first_error_node(node: Any) -> Any:
    """The first ERROR or MISSING node in document order (iterative: trees can be deep)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.is_error or current.is_missing:
            return current
        if current.has_error:
            stack.extend(reversed(current.children))
    return None


def _excerpt(data: bytes, offset: int) -> str:
    """The token at ``offset`` as a short quoted excerpt, control characters escaped: messages end
    up in CI logs and SARIF uploads, so they never carry more of the file than this."""
    rest = data[offset:offset + 4 * EXCERPT_CHARS].decode("utf-8", "replace")
    token = re.match(r"[\w.-]+|\S", rest)
    text = token.group(0) if token else rest[:1]
    return f"'{excerpt(text)}'" if text else "end of file"
