"""Safe, line-aware loading of CloudFormation templates (YAML with short-form tags, and JSON).

Mappings load as ``LineDict`` (the mapping's line and each key's line) and sequences as ``LineList``.
Short-form tags become the long form (``!GetAtt A.B`` -> ``{"Fn::GetAtt": ["A", "B"]}``). Aliases
are refused: CloudFormation does not accept them, and refusing them rules out alias bombs.
Only the standard YAML scalar tags and CloudFormation's own tags are accepted.
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterator, NoReturn, Optional

import yaml

from ...escape import WORD_CHARS, excerpt
from ..common import MAX_NUMBER_CHARS, NUMBER_TOO_LONG


class TemplateError(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class LineDict(dict):
    __slots__ = ("line", "key_lines")  # no __dict__: templates hold many mappings

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    __slots__ = ("line",)

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line


_FN_TAGS = {"Ref": "Ref", "Condition": "Condition"}
_FN_NAMES = ("Base64", "Cidr", "Equals", "And", "Or", "Not", "If", "FindInMap", "GetAtt", "GetAZs",
             "ImportValue", "Join", "Select", "Split", "Sub", "Transform", "ToJsonString", "Length",
             # the rule functions of a template's Rules section (AWS's own sample templates use !ValueOf)
             "Contains", "EachMemberEquals", "EachMemberIn", "RefAll", "ValueOf", "ValueOfAll")
_FN_TAGS.update({name: f"Fn::{name}" for name in _FN_NAMES})
# The short forms CloudFormation accepts in one shape only: (takes a scalar, the lengths of the
# sequence it takes). The others (Base64, GetAZs, ImportValue, Transform...) also take a function.
_SHORT_FORM_SHAPES: dict[str, tuple[bool, range]] = {
    "Ref": (True, range(0)), "Condition": (True, range(0)), "GetAtt": (True, range(2, 3)),
    "Sub": (True, range(2, 3)), "Equals": (False, range(2, 3)), "Not": (False, range(1, 2)),
    "If": (False, range(3, 4)), "Join": (False, range(2, 3)), "Select": (False, range(2, 3)),
    "Split": (False, range(2, 3)), "Cidr": (False, range(3, 4)), "FindInMap": (False, range(3, 5)),
    "And": (False, range(2, 11)), "Or": (False, range(2, 11)),
}

# Deeper than any template (IAM policies and state machine definitions are a few dozen levels at most),
# and shallow enough that whatever walks a value recursively later stays far from the recursion limit.
MAX_DEPTH = 128
TOO_DEEP = f"nested more than {MAX_DEPTH} levels deep"

_YAML = "tag:yaml.org,2002:"
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_IMPLICIT = yaml.SafeLoader.yaml_implicit_resolvers  # first character -> [(tag, pattern)]
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_NULLS = ("", "~", "null", "Null", "NULL")
_NO_KEY = object()  # a mapping waiting for its next key
_MERGE = object()  # the plain scalar <<, a merge key in YAML 1.1


def load_yaml(text: str) -> Any:
    try:
        return _YamlReader().read(yaml.parse(text, Loader=_YAML_LOADER))
    except yaml.MarkedYAMLError as exc:
        # Where the parser gave up, unless that is the end of the file: then where the broken
        # construct (an unterminated quote or bracket) starts.
        at_end = exc.problem_mark is not None and exc.problem_mark.index >= len(text.rstrip())
        mark = (exc.context_mark if at_end else None) or exc.problem_mark or exc.context_mark
        detail = f"{exc.context}: {exc.problem}" if exc.context and exc.problem else (exc.problem or exc.context)
        last_line = max(text.count("\n") + (0 if text.endswith("\n") else 1), 1)
        raise TemplateError(f"invalid YAML: {detail}", min(mark.line + 1, last_line) if mark else 1) from None
    except yaml.YAMLError as exc:
        raise TemplateError(f"invalid YAML: {exc}", 1) from None


class _Open:
    """A sequence or mapping being read, with the short-form tag it carries (``!If [...]``)."""

    __slots__ = ("value", "short", "depth", "key", "key_line")

    def __init__(self, value: LineDict | LineList, short: Optional[str], depth: int) -> None:
        self.value = value
        self.short = short
        self.depth = depth
        self.key: Any = _NO_KEY
        self.key_line = 0


class _YamlReader:
    """Builds values with lines straight from the parser's events, without composing a node graph:
    nesting costs no recursion (any depth is refused beyond MAX_DEPTH, with its line), aliases are
    refused where they occur, and only plain scalars go through tag resolution."""

    def __init__(self) -> None:
        self.stack: list[_Open] = []
        self.result: Any = None
        self.documents = 0

    def read(self, events: Iterator[yaml.Event]) -> Any:
        for event in events:
            line = event.start_mark.line + 1
            if isinstance(event, yaml.ScalarEvent):
                self._add(_scalar(event, line), line)
            elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                self._open(event, line)
            elif isinstance(event, yaml.CollectionEndEvent):
                self._close()
            elif isinstance(event, yaml.AliasEvent):
                raise TemplateError("YAML aliases (*name) are not supported by CloudFormation", line)
            elif isinstance(event, yaml.DocumentStartEvent):
                self.documents += 1
                if self.documents > 1:
                    raise TemplateError("invalid YAML: expected a single document in the stream: "
                                        "but found another document", line)
        return self.result

    def _open(self, event: yaml.CollectionStartEvent, line: int) -> None:
        is_map = isinstance(event, yaml.MappingStartEvent)
        tag = event.tag
        short = _short_form_name(tag, line) if tag and tag.startswith("!") and tag != "!" else None
        if short is None and tag not in (None, "!", _YAML + ("map" if is_map else "seq")):
            raise TemplateError(f"YAML tag {excerpt(tag, WORD_CHARS)} is not allowed in a CloudFormation template", line)
        depth = (self.stack[-1].depth if self.stack else 0) + (2 if short else 1)  # a short form adds a level
        if depth > MAX_DEPTH:
            raise TemplateError(TOO_DEEP, line)
        self.stack.append(_Open(LineDict(line) if is_map else LineList(line), short, depth))

    def _close(self) -> None:
        closed = self.stack.pop()
        value: Any = closed.value
        if closed.short is not None:
            value = _short_form(closed.short, value, value.line)
        self._add(value, value.line)

    def _add(self, value: Any, line: int) -> None:
        """Put a finished value where it belongs: the document, a sequence item, a key or a value."""
        if not self.stack:
            self.result = value
            return
        if value is _MERGE:
            raise TemplateError("YAML merge keys (<<) are not supported by CloudFormation", line)
        top = self.stack[-1]
        if isinstance(top.value, LineList):
            top.value.append(value)
        elif top.key is _NO_KEY:
            if not isinstance(value, (str, int, float, bool)):  # a collection, short form or null
                raise TemplateError("mapping keys must be plain scalars", line)
            top.key, top.key_line = str(value), line
        else:
            top.value[top.key] = value
            top.value.key_lines[top.key] = top.key_line
            top.key = _NO_KEY


def _scalar(event: yaml.ScalarEvent, line: int) -> Any:
    tag = event.tag
    if tag is None or tag == "!":
        if not event.implicit[0]:  # quoted, or a non-specific tag: a string
            return event.value
        tag = _resolve(event.value)
    if tag.startswith("!"):
        name = _short_form_name(tag, line)
        return _short_form(name, event.value, line)
    return _typed_scalar(tag, event.value, line)


def _resolve(value: str) -> str:
    """The tag of a plain scalar, as PyYAML's safe loader resolves it (YAML 1.1: yes/no are booleans)."""
    for tag, pattern in _IMPLICIT.get(value[:1], ()):
        if pattern.match(value):
            return tag
    return _YAML + "str"


def _typed_scalar(tag: str, value: str, line: int) -> Any:
    """A scalar of a standard tag, resolved or explicit (``!!int abc`` is refused, not a crash)."""
    kind = tag[len(_YAML):] if tag.startswith(_YAML) else ""
    if kind in ("str", "value"):
        return value
    if kind == "merge":
        return _MERGE
    if kind in ("int", "float"):
        if len(value) > MAX_NUMBER_CHARS:
            raise TemplateError(NUMBER_TOO_LONG, line)
        try:
            node = yaml.ScalarNode(tag, value)
            return _CONSTRUCTOR.construct_yaml_int(node) if kind == "int" else _CONSTRUCTOR.construct_yaml_float(node)
        except (ValueError, ArithmeticError, IndexError):  # IndexError: PyYAML on an empty value
            pass
    elif kind == "bool" and value.lower() in _CONSTRUCTOR.bool_values:
        return _CONSTRUCTOR.bool_values[value.lower()]
    elif kind == "null" and value in _NULLS:
        return None
    elif kind == "timestamp" and _CONSTRUCTOR.timestamp_regexp.match(value):
        return value  # "2010-09-09" is a string to CloudFormation
    elif kind not in ("bool", "null", "timestamp"):
        raise TemplateError(f"YAML tag {excerpt(tag, WORD_CHARS)} is not allowed in a CloudFormation template", line)
    raise TemplateError(f"invalid YAML: '{excerpt(value)}' is not a valid !!{kind}", line)


def _short_form_name(tag: str, line: int) -> str:
    name = tag[1:]
    if name not in _FN_TAGS:
        raise TemplateError(f"unknown tag {excerpt(tag, WORD_CHARS)}", line)
    return name


def _short_form(name: str, value: Any, line: int) -> LineDict:
    """``!GetAtt A.B`` -> ``{"Fn::GetAtt": ["A", "B"]}``, refusing a shape CloudFormation rejects."""
    _check_shape(name, value, line)
    if name == "GetAtt" and isinstance(value, str):  # !GetAtt Resource.Attribute.Maybe.Dotted
        parts = LineList(line)
        parts.extend(value.split(".", 1))
        value = parts
    result = LineDict(line)
    result[_FN_TAGS[name]] = value
    result.key_lines[_FN_TAGS[name]] = line
    return result


def _check_shape(name: str, value: Any, line: int) -> None:
    if name not in _SHORT_FORM_SHAPES:
        return
    scalar, lengths = _SHORT_FORM_SHAPES[name]
    if isinstance(value, str):
        fits = scalar and (name != "GetAtt" or "." in value)
    else:
        fits = isinstance(value, LineList) and len(value) in lengths
    if fits:
        return
    wanted = [("Resource.Attribute" if name == "GetAtt" else "a scalar")] if scalar else []
    if lengths:
        count = str(lengths.start) if len(lengths) == 1 else f"{lengths.start} to {lengths.stop - 1}"
        wanted.append(f"a list of {count}")
    found = "a mapping" if isinstance(value, dict) else f"a list of {len(value)}" if isinstance(value, list) else f"'{excerpt(value)}'"
    raise TemplateError(f"!{name} takes {' or '.join(wanted)}, not {found}", line)


def check_resources(resources: LineDict) -> None:
    """Every resource is a mapping with a type name, or CloudFormation refuses the template (and what
    reads it takes ``Type`` for a name)."""
    for logical_id, resource in resources.items():
        if logical_id.startswith("Fn::ForEach::"):
            continue  # a loop of the language extensions: a list, expanded at deploy time
        if not isinstance(resource, LineDict) or not isinstance(resource.get("Type"), str):
            raise TemplateError(f"resource {excerpt(logical_id)} has no Type", resources.line_of(logical_id))


# -- JSON ------------------------------------------------------------------------------------------
# One token after optional whitespace; a string's body is read by the json module's scanner.
_JSON_TOKEN = re.compile(r"""[ \t\r\n]*(?:
    (?P<punct>[{}\[\]:,])
  | (?P<string>")
  | (?P<number>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
  | (?P<word>true|false|null)
  | (?P<end>\Z)
)""", re.VERBOSE)
_WORDS = {"true": True, "false": False, "null": None}
_CLOSERS = {"{": "}", "[": "]"}


def load_json(text: str) -> Any:
    """A JSON document with lines (the json module keeps none), read without recursion, its depth and
    numbers bounded."""
    return _JsonReader(text).document()


class _JsonReader:
    """Strict JSON into LineDict / LineList. Containers being read sit on an explicit stack, so depth
    costs no recursion (beyond MAX_DEPTH it is refused, with its line)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self._counted = (0, 1)  # (position, its line): positions only move forward, so counting is linear

    def line(self, pos: Optional[int] = None) -> int:
        pos = self.pos if pos is None else pos
        counted, line = self._counted
        if pos < counted:
            return self.text.count("\n", 0, pos) + 1
        line += self.text.count("\n", counted, pos)
        self._counted = (pos, line)
        return line

    def fail(self, message: str, pos: Optional[int] = None) -> NoReturn:
        raise TemplateError(f"invalid JSON: {message}", self.line(pos))

    def _token(self) -> tuple[str, str, int]:
        """(kind, text, start) of the next token; the position moves past it (past a string's opening quote)."""
        match = _JSON_TOKEN.match(self.text, self.pos)
        if match is None:
            start = len(self.text) - len(self.text[self.pos:].lstrip(" \t\r\n"))
            self.fail(f"unexpected character '{excerpt(self.text[start])}'", start)
        self.pos = match.end()
        kind = match.lastgroup or "end"
        return kind, match.group(kind), match.start(kind)

    def document(self) -> Any:
        value = self._value()
        if self._token()[0] != "end":
            self.fail("extra data after the JSON value")
        return value

    def _value(self) -> Any:
        # each open container with the key its next value goes under (dicts) and that key's line
        stack: list[list[Any]] = []
        while True:
            kind, token, start = self._token()
            if token in _CLOSERS:
                if len(stack) >= MAX_DEPTH:
                    self.fail(TOO_DEEP, start)
                container: Any = LineDict(self.line(start)) if token == "{" else LineList(self.line(start))
                if not self._empty(_CLOSERS[token]):
                    stack.append([container, *self._key(container)])
                    continue
                value = container
            else:
                value = self._scalar(kind, token, start)
            # A value is complete: into its container; then the next item, or close the container.
            while stack:
                frame = stack[-1]
                container, key, key_line = frame
                if key is None:
                    container.append(value)
                else:
                    container[key] = value
                    container.key_lines[key] = key_line
                if self._next_item(container, frame):
                    break
                value = stack.pop()[0]
            else:
                return value

    def _scalar(self, kind: str, token: str, start: int) -> Any:
        if kind == "string":
            return self._string()
        if kind == "word":
            return _WORDS[token]
        if kind == "number":
            if len(token) > MAX_NUMBER_CHARS:
                self.fail(NUMBER_TOO_LONG, start)
            return float(token) if any(c in token for c in ".eE") else int(token)
        self.fail("unexpected end of input" if kind == "end" else f"unexpected character '{excerpt(token)}'", start)

    def _string(self) -> str:
        try:
            value, self.pos = json.decoder.scanstring(self.text, self.pos)
        except json.JSONDecodeError as exc:
            self.fail(exc.msg, exc.pos)
        return value

    def _empty(self, closer: str) -> bool:
        """Whether the container just opened closes at once (the closing bracket is then consumed)."""
        match = _JSON_TOKEN.match(self.text, self.pos)
        if match is not None and match.group("punct") == closer:
            self.pos = match.end()
            return True
        return False

    def _key(self, container: Any) -> tuple[Optional[str], int]:
        """For a dict, read ``"key":`` and return the key and its line; for a list, (None, 0)."""
        if not isinstance(container, dict):
            return None, 0
        kind, _, start = self._token()
        if kind != "string":
            self.fail("expected a string key", start)
        key_line = self.line(start)
        key = self._string()
        if self._token()[1] != ":":
            self.fail("expected ':'")
        return key, key_line

    def _next_item(self, container: Any, frame: list[Any]) -> bool:
        """After an item: True at a comma (the frame then holds the next key), False at the closing bracket."""
        _, token, start = self._token()
        if token == ",":
            frame[1:] = self._key(container)
            return True
        closer = "}" if isinstance(container, dict) else "]"
        if token != closer:
            self.fail(f"expected ',' or {closer!r}", start)
        return False
