"""cfn-lint adapter: what cfn-lint decoded -> the engine's findings -> cfn-lint matches.

It translates and decides nothing: the CloudFormation front end and the rules decide, exactly as
for the CLI. Nothing here imports cfn-lint: the rule classes (``eice_checks.cfn_lint``) turn the
``PlannedMatch`` values into cfn-lint's ``RuleMatch``.

- **Input.** cfn-lint hands every rule the template it decoded (from a file or from standard input):
  ``dict_node``/``list_node``/``str_node`` values whose ``start_mark.line`` is 0-based. ``convert``
  turns them into the front end's input, ``LineDict``/``LineList`` with 1-based lines, as
  ``loader.py`` builds them from text.
- **Lines.** Every line the front end gives a finding is the line of a mapping key or of a node
  (``LineDict.line_of``, ``LineDict.line``). While converting, ``convert`` records the template path
  of every key and list item at its line: the paths at which cfn-lint itself locates a match (a path
  ending in a key is shown at the key, one ending in an index at the item). A finding's line is
  thus mapped back to a path that cfn-lint shows at the same line, the most specific one, inside the
  finding's resource where the line holds several.
- **Once per template.** cfn-lint calls each rule on the same template object; the first call
  analyses it and the others reuse the result (a small cache keyed on that object).
"""
from __future__ import annotations

import datetime
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Optional

TemplatePath = tuple  # a template path: keys and list indexes, as cfn-lint's RuleMatch takes it

# Far beyond any template; keeps the conversion inside Python's recursion limit. cfn-lint resolves
# YAML aliases, so a template may even refer to itself.
_MAX_DEPTH = 128
_CACHE_SIZE = 4  # cfn-lint runs every rule on one template before it reads the next
STDIN_NAME = "<stdin>"  # cfn-lint gives no file name for a template read from standard input


@dataclass(frozen=True)
class PlannedMatch:
    """One cfn-lint match to be made: ``kind`` "finding" under the catalog rule ``rule``; "internal"
    (cfn-lint's E0002, rule processing error) or "config" (E0003, configuration error) otherwise."""

    kind: str
    rule: str
    path: TemplatePath
    message: str
    location: Optional[tuple[int, int, int, int]] = None  # 0-based, only where no path shows the line


@dataclass
class Converted:
    """A decoded template in the front end's form, and the template paths found at each line."""

    body: Any
    places: dict[int, list[TemplatePath]] = field(default_factory=dict)

    def path_at(self, line: int, resource: str) -> Optional[TemplatePath]:
        """The most specific path cfn-lint shows at ``line``, inside ``resource`` where possible.
        A property whose value is written on its line (``"CidrIp": {"Fn::GetAtt": [...]}``) is the
        place, not the function's arguments."""
        candidates = self.places.get(line, [])
        candidates = [p for p in candidates if p[:2] == ("Resources", resource)] or candidates
        candidates = [p for p in candidates if not any(map(_is_function, p))] or candidates
        return max(candidates, key=len) if candidates else None


def _is_function(key: Any) -> bool:
    return isinstance(key, str) and (key == "Ref" or key.startswith("Fn::"))


class _NotAnalysed(Exception):
    """A template the front end's loader would refuse: too deep, or a number too long."""


def convert(node: Any) -> Converted:
    """cfn-lint's decoded template -> LineDict/LineList with lines, and the paths at each line."""
    from ..frontends.cloudformation.loader import LineDict, LineList
    from ..frontends.common import MAX_NUMBER_BITS_DECODED, MAX_NUMBER_CHARS

    converted = Converted(None)

    def walk(value: Any, path: TemplatePath, line: int) -> Any:
        if len(path) > _MAX_DEPTH:
            raise _NotAnalysed("the template is nested too deeply to analyse")
        line = _line(value, line)
        if isinstance(value, dict):
            result = LineDict(line)
            for key, item in value.items():
                name, key_line = str(key), _line(key, line)
                if _has_mark(key):
                    converted.places.setdefault(key_line, []).append((*path, name))
                result[name] = walk(item, (*path, name), key_line)
                result.key_lines[name] = key_line
            return result
        if isinstance(value, list):
            result = LineList(line)
            for index, item in enumerate(value):
                if _has_mark(item):
                    converted.places.setdefault(_line(item, line), []).append((*path, index))
                result.append(walk(item, (*path, index), line))
            return result
        if isinstance(value, int) and value.bit_length() > MAX_NUMBER_BITS_DECODED:
            raise _NotAnalysed(f"the template holds a number of more than {MAX_NUMBER_CHARS} digits, which is not analysed")
        return _scalar(value)

    converted.body = walk(node, (), 1)
    return converted


def _has_mark(value: Any) -> bool:
    return getattr(value, "start_mark", None) is not None


def _line(value: Any, default: int) -> int:
    """A node's 1-based line; nodes cfn-lint made without a mark (short-form tags' keys, values a
    transform added) take their parent's."""
    mark = getattr(value, "start_mark", None)
    line = getattr(mark, "line", None)
    return line + 1 if isinstance(line, int) else default


def _scalar(value: Any) -> Any:
    if isinstance(value, str):
        return str.__str__(value)  # a plain str, as the front end's loader gives
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()  # the loader keeps "2010-09-09" a string, as CloudFormation does
    return value


# -- analysis, once per template ---------------------------------------------------------------------
_cache: OrderedDict[int, tuple[Any, list[PlannedMatch]]] = OrderedDict()


def planned_matches(cfn: Any) -> list[PlannedMatch]:
    """Every match our rules make on cfn-lint's template ``cfn``; computed on the first call for it."""
    cached = _cache.get(id(cfn))
    if cached is not None and cached[0] is cfn:  # the object itself: an id may be reused after it dies
        _cache.move_to_end(id(cfn))
        return cached[1]
    planned = _plan(cfn)
    _cache[id(cfn)] = (cfn, planned)
    while len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return planned


def _plan(cfn: Any) -> list[PlannedMatch]:
    from ..config import ConfigError
    from ..frontends.cloudformation import TemplateError

    try:
        return _analyse(cfn)
    except TemplateError:  # a template CloudFormation refuses (a resource with no Type): cfn-lint's own rules say why
        return []
    except ConfigError as exc:
        return [PlannedMatch("config", "", (), f"eice-checks: {exc}")]
    except _NotAnalysed as exc:
        return [PlannedMatch("internal", "", (), f"eice-checks: {exc}")]
    except Exception as exc:  # inside cfn-lint a bug must cost our findings on one template, never the run
        return [PlannedMatch("internal", "", (), f"eice-checks: internal error: {type(exc).__name__}: {exc}; "
                                                 "its rules report nothing on this template")]


def _analyse(cfn: Any) -> list[PlannedMatch]:
    from ..config import find_pyproject, load_config
    from ..engine import run_templates
    from ..frontends.cloudformation import template_from_body

    converted = convert(getattr(cfn, "template", None))
    template = template_from_body(cfn.filename or STDIN_NAME, converted.body)
    if template is None:  # no Resources: cfn-lint's own rules say what is wrong
        return []
    # The project's [tool.eice-checks] settings (admin ports, rules), found as the CLI finds them.
    # cfn-lint shows a rule one template at a time: the others of the run, and any stack that may
    # add rules to what this one exports, are unseen (their imports stay unknown).
    report = run_templates([template], load_config(find_pyproject()), other_stacks_unseen=True)
    # The engine decided what is suppressed; a finding that only cfn-lint's own Metadata covers is
    # handed to cfn-lint, which applies it (and lets --mandatory-checks override it).
    from ..suppressions import CFN_LINT

    shown = [*report.findings, *(s.finding for s in report.suppressed if all(b.source == CFN_LINT for b in s.by))]
    planned = [_place("finding", f.rule, f.line, f.resource, f.message, converted) for f in sorted(shown)]
    planned += [_place("internal", "", e.line, "", f"eice-checks: {e.message}", converted) for e in report.errors]
    return planned


def _place(kind: str, rule: str, line: Optional[int], resource: str, message: str,
           converted: Converted) -> PlannedMatch:
    path = converted.path_at(line, resource) if line else None
    if path is not None:
        return PlannedMatch(kind, rule, path, message)
    # No key or item starts at that line (a JSON "{" on a line of its own): the line itself, with
    # the resource as the path so that its Metadata can still suppress the match.
    resources = converted.body.get("Resources") if isinstance(converted.body, dict) else None
    fallback: TemplatePath = ("Resources", resource) if isinstance(resources, dict) and resource in resources else ()
    location = (line - 1, 0, line - 1, 0) if line else None
    return PlannedMatch(kind, rule, fallback, message, location)
