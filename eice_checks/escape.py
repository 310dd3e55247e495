"""Text that comes from input, made safe to print: every output format goes through here.

Input is written by whoever opens the pull request, and output lands in CI logs, SARIF uploads and
annotations. So: no control characters (terminal escapes, fake workflow commands), no lone
surrogates (a file name that is not UTF-8 arrives as one, and JSON or a UTF-8 terminal cannot carry
it), and no more of a file than a short excerpt in any message.
"""
from __future__ import annotations

import os
import re
from typing import Any

EXCERPT_CHARS = 40  # of a quoted stretch of input
WORD_CHARS = 64  # of an unquoted run without spaces: a Terraform address fits, a key or token does not
MESSAGE_CHARS = 240
_SIMPLE = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# A quoted stretch in a message: an opening quote not inside a word, up to its closing quote or the
# end (a quote left open). Apostrophes in prose ("the endpoint's") are not openings.
_QUOTED = re.compile(r"""(?<!\w)(['"`])(.*?)(?:\1(?!\w)|$)""", re.S)
_LONG_WORD = re.compile(rf"\S{{{WORD_CHARS + 1},}}")


def printable(text: str, keep: str = "") -> str:
    """``text`` with every character that is not printable (but those in ``keep``) written as an
    escape: ``\\x1b``, ``\\n``, and ``\\xff`` for a byte of a non-UTF-8 file name. Idempotent; plain
    text unchanged."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch in keep else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for an undecodable byte of a file name
        return f"\\x{code - 0xDC00:02x}"
    if ch in _SIMPLE:
        return _SIMPLE[ch]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable_data(value: Any) -> Any:
    """``value`` (dicts, lists, strings, numbers) with every string made printable: for JSON
    output, which must be valid UTF-8 whatever the file names are."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {printable_data(k): printable_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [printable_data(v) for v in value]
    return value


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """At most ``limit`` characters of input, escaped (cut first: an escape is never split), with
    an ellipsis when cut."""
    return printable(text) if len(text) <= limit else printable(text[:limit]) + "…"


def bounded_message(message: str, limit: int = MESSAGE_CHARS) -> str:
    """The last guard for a message about an input file, whoever built it: escaped, each quoted
    stretch cut to an excerpt and each long unquoted run of input (``unknown tag !...``) too, the
    whole cut to ``limit`` characters."""
    shown = _QUOTED.sub(_shorten_quoted, printable(message))
    shown = _LONG_WORD.sub(lambda m: m.group(0)[:WORD_CHARS] + "…", shown)
    return shown if len(shown) <= limit else shown[:limit] + "…"


def _shorten_quoted(match: re.Match) -> str:
    quote_char, inside = match.group(1), match.group(2)
    if len(inside) <= EXCERPT_CHARS:
        return match.group(0)
    return f"{quote_char}{inside[:EXCERPT_CHARS]}…{quote_char}"


def file_uri(path: str) -> str:
    """A relative URI reference for a path: its bytes as the file system holds them, percent-encoded
    (spaces, '%', and the bytes of a name that is not UTF-8)."""
    from urllib.parse import quote  # for SARIF only: start-up stays lean

    return quote(os.fsencode(path), safe="/")


# Markdown (GitHub): input must render as the text it is, never as markup, a link, a mention, an
# HTML tag or the end of a table cell or a code fence.
_MARKDOWN_ESCAPED = {c: "\\" + c for c in "\\`*_{}[]()#+!|~"}
_MARKDOWN_ESCAPED.update({"<": "&lt;", ">": "&gt;", "&": "&amp;", "@": "&#64;", ":": "&#58;"})
# Mermaid labels: only these stand as they are; anything else is a numeric entity (#60;), which
# Mermaid shows as the character and never reads as syntax (quotes, brackets, pipes, arrows).
_MERMAID_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,_-/")
MERMAID_LABEL_CHARS = 120
_HTML_ESCAPED = {"<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&#39;", "@": "&#64;", ":": "&#58;"}


def markdown_text(text: str) -> str:
    """``text`` (escaped with ``printable`` first) as literal Markdown text, safe in a table cell."""
    return "".join(_MARKDOWN_ESCAPED.get(ch, ch) for ch in printable(text))


def html_text(text: str) -> str:
    """``text`` (escaped with ``printable`` first) as literal text inside an HTML element
    (``<summary>``), where Markdown is not read: entities for markup, and for ``@`` (no mention)."""
    return "".join(_HTML_ESCAPED.get(ch, ch) for ch in printable(text))


def mermaid_label(text: str, limit: int = MERMAID_LABEL_CHARS) -> str:
    """``text`` for inside a quoted Mermaid label (``id["..."]``, ``-->|"..."|``): at most ``limit``
    characters of it, escaped with ``printable`` first, every character outside a plain set an
    entity."""
    shown = excerpt(text, limit)
    return "".join(ch if ch in _MERMAID_PLAIN else f"#{ord(ch)};" for ch in shown)
