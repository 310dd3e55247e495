"""Safe, line-aware loading of CloudFormation templates (YAML with short-form tags, and JSON).

Mappings load as ``LineDict`` (the mapping's line and each key's line) and sequences as ``LineList``.
Short-form tags become the long form (``!GetAtt A.B`` -> ``{"Fn::GetAtt": ["A", "B"]}``). Aliases
are refused: CloudFormation does not accept them, and refusing them rules out alias bombs.
Only the standard YAML scalar tags and CloudFormation's own tags are accepted.
"""
from __future__ import annotations

import bisect
import json
import re
from typing import Any

import yaml


class TemplateError(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class LineDict(dict):
    line: int = 0

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line


_FN_TAGS = {"Ref": "Ref", "Condition": "Condition"}
_FN_NAMES = ("Base64", "Cidr", "Equals", "And", "Or", "Not", "If", "FindInMap", "GetAtt", "GetAZs",
             "ImportValue", "Join", "Select", "Split", "Sub", "Transform", "ToJsonString", "Length")
_FN_TAGS.update({name: f"Fn::{name}" for name in _FN_NAMES})

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp",
}
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    try:
        node = yaml.compose(text, Loader=_YAML_LOADER)
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
    except RecursionError:
        raise TemplateError("invalid YAML: nesting too deep", 1) from None
    try:
        return None if node is None else _Converter().convert(node)
    except RecursionError:
        raise TemplateError("nesting too deep", node.start_mark.line + 1) from None
    except _AliasFound:
        raise TemplateError("YAML aliases (*name) are not supported by CloudFormation", _first_alias_line(text)) from None


class _AliasFound(Exception):
    pass


def _first_alias_line(text: str) -> int:
    """The line of the first alias (the composed node only knows its anchor's line)."""
    for event in yaml.parse(text, Loader=_YAML_LOADER):
        if isinstance(event, yaml.AliasEvent):
            return event.start_mark.line + 1
    return 1


class _Converter:
    """Turns composed YAML nodes into plain values with lines, refusing aliases and foreign tags."""

    def __init__(self) -> None:
        self._seen: set[int] = set()

    def convert(self, node: yaml.Node) -> Any:
        # The composer shares one node object among an anchor and its aliases: meeting a node twice
        # means an alias, which CloudFormation rejects. Checking identity keeps this linear.
        if id(node) in self._seen:
            raise _AliasFound()
        self._seen.add(id(node))
        line = node.start_mark.line + 1
        tag = node.tag or ""
        if tag.startswith("!"):
            return self._short_form(node, tag[1:], line)
        if isinstance(node, yaml.MappingNode) and tag == "tag:yaml.org,2002:map":
            return self._mapping(node, line)
        if isinstance(node, yaml.SequenceNode) and tag == "tag:yaml.org,2002:seq":
            return self._sequence(node, line)
        if not isinstance(node, yaml.ScalarNode) or tag not in _SCALAR_TAGS:
            raise TemplateError(f"YAML tag {tag} is not allowed in a CloudFormation template", line)
        if tag == "tag:yaml.org,2002:timestamp":  # "2010-09-09" is a string to CloudFormation
            return node.value
        return _CONSTRUCTOR.construct_object(node, deep=False)

    def _mapping(self, node: yaml.MappingNode, line: int) -> LineDict:
        result = LineDict(line)
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise TemplateError("YAML merge keys (<<) are not supported by CloudFormation", key_node.start_mark.line + 1)
            key = self.convert(key_node)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise TemplateError("mapping keys must be plain scalars", key_node.start_mark.line + 1)
            key = str(key)
            result[key] = self.convert(value_node)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result

    def _sequence(self, node: yaml.SequenceNode, line: int) -> LineList:
        result = LineList(line)
        result.extend(self.convert(item) for item in node.value)
        return result

    def _short_form(self, node: yaml.Node, name: str, line: int) -> LineDict:
        long_name = _FN_TAGS.get(name)
        if long_name is None:
            raise TemplateError(f"unknown tag !{name}", line)
        if isinstance(node, yaml.ScalarNode):
            value: Any = node.value
            if name == "GetAtt":  # !GetAtt Resource.Attribute.Maybe.Dotted
                value = LineList(line)
                value.extend(node.value.split(".", 1))
        elif isinstance(node, yaml.SequenceNode):
            value = self._sequence(node, line)
        else:
            value = self._mapping(node, line)
        result = LineDict(line)
        result[long_name] = value
        result.key_lines[long_name] = line
        return result


# -- JSON ------------------------------------------------------------------------------------------
_JSON_TOKEN = re.compile(r"""
    (?P<ws>[ \t\r\n]+)
  | (?P<punct>[{}\[\]:,])
  | (?P<string>")
  | (?P<number>-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<word>true|false|null)
""", re.VERBOSE)
_WORDS = {"true": True, "false": False, "null": None}
_MAX_JSON_DEPTH = 128  # far beyond any template; keeps well inside Python's recursion limit


def load_json(text: str) -> Any:
    parser = _JsonParser(text)
    value = parser.value()
    parser.skip_ws()
    if parser.pos != len(text):
        parser.fail("extra data after the JSON value")
    return value


class _JsonParser:
    """A small recursive-descent JSON parser that keeps line numbers (the json module has none)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.newlines = [i for i, ch in enumerate(text) if ch == "\n"]
        self.depth = 0

    def line(self, pos: int | None = None) -> int:
        return bisect.bisect_right(self.newlines, (self.pos if pos is None else pos) - 1) + 1

    def fail(self, message: str) -> None:
        raise TemplateError(f"invalid JSON: {message}", self.line())

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1

    def value(self) -> Any:
        self.skip_ws()
        if self.pos >= len(self.text):
            self.fail("unexpected end of input")
        ch = self.text[self.pos]
        if ch == "{":
            return self._nested(self._object)
        if ch == "[":
            return self._nested(self._array)
        if ch == '"':
            return self._string()
        match = _JSON_TOKEN.match(self.text, self.pos)
        if match and match.lastgroup in ("number", "word"):
            self.pos = match.end()
            token = match.group()
            if match.lastgroup == "word":
                return _WORDS[token]
            return float(token) if any(c in token for c in ".eE") else int(token)
        self.fail(f"unexpected character {ch!r}")

    def _nested(self, parse: Any) -> Any:
        self.depth += 1
        if self.depth > _MAX_JSON_DEPTH:
            self.fail("nesting too deep")
        try:
            return parse()
        finally:
            self.depth -= 1

    def _string(self) -> str:
        try:
            value, self.pos = json.decoder.scanstring(self.text, self.pos + 1)
        except json.JSONDecodeError as exc:
            self.pos = exc.pos
            self.fail(exc.msg)
        return value

    def _expect(self, ch: str) -> None:
        self.skip_ws()
        if self.pos >= len(self.text) or self.text[self.pos] != ch:
            self.fail(f"expected {ch!r}")
        self.pos += 1

    def _peek(self) -> str:
        self.skip_ws()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _object(self) -> LineDict:
        result = LineDict(self.line())
        self.pos += 1
        if self._peek() == "}":
            self.pos += 1
            return result
        while True:
            if self._peek() != '"':
                self.fail("expected a string key")
            key_line = self.line()
            key = self._string()
            self._expect(":")
            result[key] = self.value()
            result.key_lines[key] = key_line
            if self._peek() == ",":
                self.pos += 1
                continue
            self._expect("}")
            return result

    def _array(self) -> LineList:
        result = LineList(self.line())
        self.pos += 1
        if self._peek() == "]":
            self.pos += 1
            return result
        while True:
            result.append(self.value())
            if self._peek() == ",":
                self.pos += 1
                continue
            self._expect("]")
            return result
