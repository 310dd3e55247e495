"""Terraform's built-in functions that the analysis needs (concat, flatten, cidrsubnet, ...).

Each takes evaluated arguments. Unless listed in UNKNOWN_ARGS_OK, a call with an Unknown argument
is that Unknown without calling the function. try() and can() see unevaluated arguments, so they
live with the evaluator. A call costs evaluation steps for the size of its arguments (a function
goes through them), unless listed in FLAT_COST; those whose result can be much larger than their
arguments (join, format, replace, split) check its size before they build it.
"""
from __future__ import annotations

import ipaddress
import json
import re
from typing import Any, Callable

from eice_checks.limits import MAX_CHARACTERS, MAX_ELEMENTS, check
from eice_checks.model.values import EntityRef, Unknown

from .conversions import (
    EvalError, as_bool, decide, equal, map_key, normalize, render, require_known, require_list, require_map, to_bool,
    to_index, to_int, to_number, type_name, unknowable, unknowns,
)
from .scope import Traversable


def _freeze(value: Any) -> Any:
    """Hashable, type-tagged form of a known value, for de-duplication."""
    if isinstance(value, list):
        return ("list", tuple(_freeze(item) for item in value))
    if isinstance(value, dict):
        return ("map", tuple(sorted((key, _freeze(item)) for key, item in value.items())))
    if isinstance(value, Traversable):
        return ("object", id(value))
    return (type_name(value), value)


def _dedupe(items: list[Any]) -> list[Any]:
    """First occurrences in order; elements holding an Unknown are kept (they may differ)."""
    seen: set[Any] = set()
    result = []
    for item in items:
        if next(unknowns(item), None) is None:
            key = _freeze(item)
            if key in seen:
                continue
            seen.add(key)
        result.append(item)
    return result


def _fn_concat(*lists: Any) -> list[Any]:
    return [item for value in lists for item in require_list(value, "concat")]


def _fn_flatten(value: Any) -> list[Any]:
    result: list[Any] = []
    for item in require_list(value, "flatten"):
        result.extend(_fn_flatten(item) if isinstance(item, list) else [item])
    return result


def _fn_toset(value: Any) -> list[Any]:
    """Terraform's set: one element type (numbers and bools beside strings become strings), no
    duplicates, strings and numbers in order."""
    items = require_list(value, "toset")
    if any(isinstance(item, str) for item in items) and all(isinstance(item, (str, int, float)) for item in items):
        items = [item if isinstance(item, str) else render(item) for item in items]
    items = _dedupe(items)
    if all(isinstance(item, str) for item in items) or all(
            isinstance(item, (int, float)) and not isinstance(item, bool) for item in items):
        items.sort()
    return items


def _fn_distinct(value: Any) -> list[Any]:
    require_known(value)
    return _dedupe(require_list(value, "distinct"))


def _fn_tostring(value: Any) -> Any:
    if value is None or isinstance(value, (str, EntityRef)):  # an entity's id is a string
        return value
    return render(value)


def _fn_join(separator: Any, *lists: Any) -> str:
    glue = render(separator)
    items = [render(item) for value in lists for item in require_list(value, "join")]
    _check_text(sum(map(len, items)) + len(glue) * max(len(items) - 1, 0))
    return glue.join(items)


def _check_text(length: int) -> None:
    """Before a string is built: a short separator between many items, or a replacement of every
    character, can make it far larger than what it is made of."""
    check(length, MAX_CHARACTERS, "a string of {} characters", "characters")


def _fn_lookup(mapping: Any, key: Any, *default: Any) -> Any:
    if len(default) > 1:
        raise EvalError("lookup: too many arguments")
    values, name = require_map(mapping, "lookup"), map_key(key)
    if name in values:
        return values[name]
    if default:
        return default[0]
    raise EvalError(f"lookup: no key {name!r}")


def _fn_element(value: Any, index: Any) -> Any:
    items, position = require_list(value, "element"), to_index(index)
    if not items:
        raise EvalError("element: empty list")
    return items[position % len(items)]


def _fn_coalesce(*args: Any) -> Any:
    for value in args:
        if isinstance(value, Unknown):  # it might be the decisive one
            return value
        if value is not None and value != "":
            return value
    raise EvalError("coalesce: no non-null, non-empty argument")


def _fn_coalescelist(*args: Any) -> Any:
    for value in args:
        if isinstance(value, Unknown) or require_list(value, "coalescelist"):
            return value
    raise EvalError("coalescelist: no non-empty list")


def _fn_length(value: Any) -> int:
    if isinstance(value, (list, dict, str)):
        return len(value)
    unknowable(value, "length")
    raise EvalError(f"length: cannot measure {type_name(value)}")


def _fn_merge(*maps: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for value in maps:
        if value is not None:
            result.update(require_map(value, "merge"))
    return result


def _fn_contains(value: Any, wanted: Any) -> bool | Unknown:
    """True on a known match; otherwise an Unknown element leaves the answer Unknown."""
    return decide((equal(item, wanted) for item in require_list(value, "contains")), decisive=True)


def _format_int(value: Any) -> str:
    return str(to_int(value))


def _format_any(value: Any) -> str:
    return _fn_jsonencode(value) if isinstance(value, (list, dict)) else render(value)


_FORMAT_VERBS: dict[str, Callable[[Any], str]] = {
    "s": render,
    "d": _format_int,
    "v": _format_any,
    "q": lambda value: json.dumps(render(value), ensure_ascii=False),
}
_FORMAT_VERB_RE = re.compile(r"%(.?)", re.DOTALL)


def _fn_format(spec: Any, *args: Any) -> str:
    used = length = 0

    def substitute(match: re.Match[str]) -> str:
        nonlocal used, length
        verb = match.group(1)
        if verb == "%":
            return "%"
        if verb not in _FORMAT_VERBS:
            raise EvalError(f"format: unsupported verb %{verb}")
        if used >= len(args):
            raise EvalError("format: not enough arguments")
        used += 1
        text = _FORMAT_VERBS[verb](args[used - 1])
        length += len(text)  # "%s%s%s" repeats an argument as often as the spec says
        _check_text(length)
        return text

    result = _FORMAT_VERB_RE.sub(substitute, render(spec))
    if used < len(args):
        raise EvalError("format: too many arguments")
    return result


def _fn_replace(value: Any, search: Any, replacement: Any) -> Any:
    search, text, replacement = render(search), render(value), render(replacement)
    if len(search) > 1 and search.startswith("/") and search.endswith("/"):
        return Unknown("function replace with a regular expression")
    _check_text(len(text) + text.count(search) * (len(replacement) - len(search)))
    return text.replace(search, replacement)


def _fn_split(separator: Any, value: Any) -> list[str]:
    glue, text = render(separator), render(value)
    if glue:  # (an empty separator is an error below)
        check(text.count(glue) + 1, MAX_ELEMENTS, "a list of {} elements", "elements")
    return text.split(glue)


def _network(prefix: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(render(prefix), strict=False)


def _fn_cidrsubnet(prefix: Any, newbits: Any, netnum: Any) -> str:
    network, bits, number = _network(prefix), to_index(newbits), to_index(netnum)
    length = network.prefixlen + bits
    if length > network.max_prefixlen:
        raise EvalError(f"cidrsubnet: {bits} more bits do not fit in {network}")
    if number >= 1 << bits:
        raise EvalError(f"cidrsubnet: {number} does not fit in {bits} bits")
    base = int(network.network_address) + (number << (network.max_prefixlen - length))
    return f"{type(network.network_address)(base)}/{length}"


def _fn_cidrhost(prefix: Any, hostnum: Any) -> str:
    network, number = _network(prefix), to_int(hostnum)
    if number < 0:  # counts back from the end of the range
        number += network.num_addresses
    if not 0 <= number < network.num_addresses:
        raise EvalError(f"cidrhost: host {hostnum} is outside {network}")
    return str(type(network.network_address)(int(network.network_address) + number))


def _fn_cidrnetmask(prefix: Any) -> str:
    network = _network(prefix)
    if network.version != 4:
        raise EvalError("cidrnetmask: only IPv4 prefixes have a netmask")
    return str(network.netmask)


def _fn_range(*args: Any) -> list[int | float]:
    numbers = [to_number(arg) for arg in args]
    if not 1 <= len(numbers) <= 3:
        raise EvalError("range: 1 to 3 arguments are required")
    if len(numbers) == 1:
        numbers.insert(0, 0)
    start, limit = numbers[0], numbers[1]
    step = numbers[2] if len(numbers) == 3 else (1 if limit >= start else -1)
    if step == 0:
        raise EvalError("range: step must not be zero")
    result: list[int | float] = []
    value = start
    while value < limit if step > 0 else value > limit:
        if len(result) >= 1024:  # Terraform's own limit
            raise EvalError("range: more than 1024 elements")
        result.append(value)
        value = normalize(start + step * len(result))  # no accumulated float drift
    return result


def _fn_zipmap(keys: Any, values: Any) -> dict[str, Any]:
    names, items = require_list(keys, "zipmap"), require_list(values, "zipmap")
    require_known(names)
    if len(names) != len(items):
        raise EvalError("zipmap: keys and values differ in length")
    return {map_key(name): item for name, item in zip(names, items)}


def _fn_slice(value: Any, start: Any, end: Any) -> list[Any]:
    items, first, last = require_list(value, "slice"), to_index(start), to_index(end)
    if not first <= last <= len(items):
        raise EvalError(f"slice: invalid range {first}..{last} of {len(items)}")
    return items[first:last]


def _fn_one(value: Any) -> Any:
    items = require_list(value, "one")
    if len(items) > 1:
        raise EvalError("one: more than one element")
    return items[0] if items else None


def _fn_sum(value: Any) -> int | float:
    numbers = [to_number(item) for item in require_list(value, "sum")]
    if not numbers:
        raise EvalError("sum: empty list")
    return normalize(sum(numbers))


# -- sets and lists (a set is a list here, without duplicates) ------------------------------------
def _fn_setproduct(*values: Any) -> list[list[Any]]:
    """Every combination, first argument slowest (``setproduct(["a","b"], [22])`` is
    ``[["a",22], ["b",22]]``); duplicates are kept, as Terraform keeps them for lists."""
    if len(values) < 2:
        raise EvalError("setproduct: at least two arguments are required")
    lists = [require_list(value, "setproduct") for value in values]
    count = 1
    for items in lists:
        count *= len(items)
        check(count * (len(lists) + 1), MAX_ELEMENTS, "setproduct of {} elements", "elements")  # checked as it grows
    product: list[list[Any]] = [[]]
    for items in lists:
        product = [combination + [item] for combination in product for item in items]
    return product


def _set_operands(values: tuple[Any, ...], function: str) -> list[list[Any]]:
    """The sets of a set function, each known (whether an element belongs depends on all of it)."""
    if not values:
        raise EvalError(f"{function}: at least one argument is required")
    for value in values:
        require_known(value)
    return [require_list(value, function) for value in values]


def _fn_setunion(*values: Any) -> list[Any]:
    return _fn_toset([item for items in _set_operands(values, "setunion") for item in items])


def _fn_setintersection(*values: Any) -> list[Any]:
    first, *others = _set_operands(values, "setintersection")
    kept = [{_freeze(item) for item in items} for items in others]
    return _fn_toset([item for item in first if all(_freeze(item) in k for k in kept)])


def _fn_setsubtract(value: Any, removed: Any) -> list[Any]:
    items, gone = _set_operands((value, removed), "setsubtract")
    dropped = {_freeze(item) for item in gone}
    return _fn_toset([item for item in items if _freeze(item) not in dropped])


def _fn_sort(value: Any) -> list[str]:
    """Lexical order of the elements as strings (``sort([10, 9])`` is ``["10", "9"]``)."""
    require_known(value, refs_ok=False)  # an id's text is not known before deployment
    return sorted(render(item) for item in require_list(value, "sort"))


def _fn_chunklist(value: Any, size: Any) -> list[list[Any]]:
    items, width = require_list(value, "chunklist"), to_int(size)
    if width < 0:
        raise EvalError("chunklist: the size must not be negative")
    if width == 0:
        return [list(items)] if items else []
    return [items[start:start + width] for start in range(0, len(items), width)]


def _fn_formatlist(spec: Any, *args: Any) -> list[str]:
    """``format`` once per element of the list arguments (all of one length); scalars repeat."""
    lengths = {len(arg) for arg in args if isinstance(arg, list)}
    if len(lengths) > 1:
        raise EvalError("formatlist: the list arguments differ in length")
    count = lengths.pop() if lengths else 1
    check(count, MAX_ELEMENTS, "formatlist of {} elements", "elements")
    result, length = [], 0
    for index in range(count):
        result.append(_fn_format(spec, *(arg[index] if isinstance(arg, list) else arg for arg in args)))
        length += len(result[-1])  # a long scalar argument repeats in every element
        _check_text(length)
    return result


def _all_or_any(value: Any, function: str, decisive: bool) -> bool | Unknown:
    results = [as_bool(item) for item in require_list(value, function)]
    return decide(results, decisive)


_JSON_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def _fn_jsonencode(value: Any) -> str:
    require_known(value, refs_ok=False)
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False, allow_nan=False)
    return text.translate(_JSON_ESCAPES)  # these characters only occur inside JSON strings


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": lambda number: abs(to_number(number)),
    "alltrue": lambda value: _all_or_any(value, "alltrue", decisive=False),
    "anytrue": lambda value: _all_or_any(value, "anytrue", decisive=True),
    "chunklist": _fn_chunklist,
    "cidrhost": _fn_cidrhost,
    "cidrnetmask": _fn_cidrnetmask,
    "cidrsubnet": _fn_cidrsubnet,
    "coalesce": _fn_coalesce,
    "coalescelist": _fn_coalescelist,
    "compact": lambda value: [item for item in require_list(value, "compact") if item is not None and item != ""],
    "concat": _fn_concat,
    "contains": _fn_contains,
    "distinct": _fn_distinct,
    "element": _fn_element,
    "endswith": lambda value, suffix: render(value).endswith(render(suffix)),
    "flatten": _fn_flatten,
    "format": _fn_format,
    "formatlist": _fn_formatlist,
    "join": _fn_join,
    "jsonencode": _fn_jsonencode,
    "keys": lambda value: sorted(require_map(value, "keys")),
    "length": _fn_length,
    "lookup": _fn_lookup,
    "lower": lambda value: render(value).lower(),
    "max": lambda *numbers: max(to_number(number) for number in numbers),
    "merge": _fn_merge,
    "min": lambda *numbers: min(to_number(number) for number in numbers),
    "one": _fn_one,
    "range": _fn_range,
    "replace": _fn_replace,
    "reverse": lambda value: list(reversed(require_list(value, "reverse"))),
    "setintersection": _fn_setintersection,
    "setproduct": _fn_setproduct,
    "setsubtract": _fn_setsubtract,
    "setunion": _fn_setunion,
    "slice": _fn_slice,
    "sort": _fn_sort,
    "split": _fn_split,
    "startswith": lambda value, prefix: render(value).startswith(render(prefix)),
    "sum": _fn_sum,
    "tobool": lambda value: None if value is None else to_bool(value),
    "tolist": lambda value: list(require_list(value, "tolist")),
    "tomap": lambda value: dict(require_map(value, "tomap")),
    "tonumber": lambda value: None if value is None else to_number(value),
    "toset": _fn_toset,
    "tostring": _fn_tostring,
    "trimspace": lambda value: render(value).strip(),
    "upper": lambda value: render(value).upper(),
    "values": lambda value: [item for _, item in sorted(require_map(value, "values").items())],
    "zipmap": _fn_zipmap,
}
UNKNOWN_ARGS_OK = frozenset({"coalesce", "coalescelist"})  # an Unknown after the answer is harmless
# Functions that look at a fixed part of their arguments, whatever their size: one step per call.
FLAT_COST = frozenset({"coalesce", "coalescelist", "element", "length", "lookup", "one"})
