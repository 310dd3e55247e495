"""Mutations of the repository's own fixtures: what a careless or hostile pull request could make of them.

A case is one fixture folder (a module, a stack, a plan with its sources) copied whole, with one or
two of its files mutated. Everything is drawn from ``random.Random(f"{seed}:{index}")``, so a case
is rebuilt exactly from its seed and index, and cases do not depend on one another.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SUFFIXES = (".tf", ".yaml", ".yml", ".json", ".template", ".tfvars")

_TOKEN = re.compile(rb'"(?:[^"\\\n]|\\.)*"|[A-Za-z_][\w-]*|-?\d+(?:\.\d+)?')
_DEEP = 10_000
_HUGE = b"9" * 5000


def fixture_files() -> list[Path]:
    """The fixtures a case may mutate, in a stable order."""
    return sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.name.endswith(SUFFIXES))


def case_folder(path: Path) -> Path:
    """The folder copied for a case: the fixture's own case folder (``rules/EICE001/<case>``,
    ``resolve/<case>``...), so that the mutated file is read with the files it is read with."""
    parts = path.relative_to(FIXTURES).parts
    depth = 3 if parts[0] == "rules" else 2
    return FIXTURES.joinpath(*parts[:depth]) if len(parts) > depth else path.parent


# -- the mutations: bytes -> bytes, each given the case's random generator --------------------------
Mutation = Callable[[bytes, random.Random], bytes]


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def delete_line(data: bytes, rnd: random.Random) -> bytes:
    lines = _lines(data)
    del lines[rnd.randrange(len(lines))]
    return b"\n".join(lines)


def duplicate_line(data: bytes, rnd: random.Random) -> bytes:
    lines = _lines(data)
    i = rnd.randrange(len(lines))
    lines.insert(rnd.randrange(len(lines) + 1), lines[i])
    return b"\n".join(lines)


def swap_lines(data: bytes, rnd: random.Random) -> bytes:
    lines = _lines(data)
    i, j = rnd.randrange(len(lines)), rnd.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


def flip_bytes(data: bytes, rnd: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rnd.randint(1, 8)):
        if out:
            out[rnd.randrange(len(out))] ^= 1 << rnd.randrange(8)
    return bytes(out)


def truncate(data: bytes, rnd: random.Random) -> bytes:
    return data[:rnd.randrange(len(data) + 1)]


_ODD_BYTES = (b"\x00", b"\x1b[31m", b"\x07", b"\r", b"\t", b"\xff\xfe", b"\xc3(", b"\xed\xa0\x80", b"\xef\xbb\xbf",
              b"\xe2\x80\xae", b"\x85", b"\x0c", b"\\", b"${", b"%{", b"<<EOT\n", b"*", b"&a ", b"*a")


def insert_odd_bytes(data: bytes, rnd: random.Random) -> bytes:
    """NUL, control characters, invalid UTF-8, a BOM, a bidi override, or a lone syntax character."""
    at = rnd.randrange(len(data) + 1)
    return data[:at] + rnd.choice(_ODD_BYTES) * rnd.choice((1, 1, 3, 1000)) + data[at:]


def _format(suffix: str) -> str:
    return {".tf": "hcl", ".tfvars": "hcl", ".json": "json"}.get(suffix, "yaml")


def _nesting(suffix: str, rnd: random.Random) -> bytes:
    depth = rnd.choice((100, 129, 1000, _DEEP))
    fmt = _format(suffix)
    if fmt == "hcl":
        opener, closer = rnd.choice(((b"[", b"]"), (b"(", b")"), (b"{a = ", b"}"), (b"max(", b")"), (b'"${', b'}"')))
    elif fmt == "yaml" and rnd.random() < 0.5:
        return b"- " * min(depth, 2000) + b"x"  # block nesting, on one line
    else:
        opener, closer = rnd.choice(((b"[", b"]"), (b'{"a": ', b"}")))
    return opener * depth + b"1" + closer * depth


# Values that parse (mostly) but are hostile: huge numbers, deep nesting, other types, odd tags.
_NUMBERS = (_HUGE, b"-" + _HUGE, b"1e" + _HUGE, b"1." + _HUGE, b"1e400", b"-1e400", b"-1", b"0", b"65536", b"1.5",
            b"99999999999999999999")
_VALUES = {
    "hcl": (b"null", b"true", b'""', b"[]", b"{}", b'["a", ["b"], {}]', b"{ a = 1, b = [2] }", b"1" + _HUGE,
            b" + ".join([b"1"] * 3000), b"a" + b".b" * 3000, b"local.x", b"var.nope", b"count.index",
            b"each.value", b"pow(10, 5000)", b"pow(2, 100000)", b'cidrsubnet("10.0.0.0/8", 30, 1)', b"1/0",
            b"[for i in range(100000) : i]", b'"%{ if true }x%{ endif }"', b'upper("\xff")', b'"\\u0000"',
            b"<<EOT\nx\nEOT", b'"${' * 50 + b"1" + b'}"' * 50, b'"' + b"${1}" * 10000 + b'"', b"1e5",
            b'{ for k, v in {a = 1} : k => v... }', b'"${"', b"[", b"x ? 1 :"),
    "yaml": (b"~", b"yes", b"''", b"[]", b"{}", b"[a, [b], {}]", b"{a: 1, b: [2]}", b"0x" + b"f" * 5000,
             b"0b" + b"1" * 20000, b"1" + b":59" * 2000, b"!!int abc", b"!!float x", b"!!bool maybe",
             b"!!timestamp nope", b"!!binary ???", b"!!null x", b"!!int ''", b"!Ref [a, b]", b"!GetAtt {}",
             b"!GetAtt a", b"!Sub {a: b}", b"!If [a]", b"!Foo x", b"!!python/object:os.system x", b"&a [1]", b"*a",
             b"!Ref AWS::NoValue", b"!Ref " + b"A" * 100_000, b"{{resolve:ssm:x}}", b"!Split [',', !Ref A]",
             b"!Join ['', [!Ref A, !Ref B]]", b"!Select [99, [a]]", b"!Cidr [10.0.0.0/8, 99999, 1]",
             b"!FindInMap [M, !Ref A, !Ref B]", b"!Equals [!Ref A, !Ref A]", b"2010-09-09", b"'"),
    "json": (b"null", b"true", b'""', b"[]", b"{}", b'["a", ["b"], {}]', b'{"a": 1, "b": [2]}',
             b'{"Ref": ["a", "b"]}', b'{"Fn::GetAtt": {}}', b'{"Fn::If": ["a"]}', b'"\\u0000\\ud800"',
             b'{"Fn::Cidr": ["10.0.0.0/8", 99999, 1]}', b'{"a": 1, "a": 2}', b'"' + b"x" * 100_000 + b'"'),
}
_VALUE_SITES = {  # where a value is, per format
    "hcl": re.compile(rb"(?m)(?<![=!<>])=[ \t]*(?P<value>[^\n]+)$"),
    "yaml": re.compile(rb"(?m)(?::[ \t]+|^[ \t]*-[ \t]+)(?P<value>[^\n#]+)"),
    "json": re.compile(rb':\s*(?P<value>"(?:[^"\\\n]|\\.)*"|-?\d[\d.eE+-]*|true|false|null|\[\]|\{\})'),
}


def _replacement(suffix: str, rnd: random.Random) -> bytes:
    """Something to put where a value was."""
    roll = rnd.random()
    if roll < 0.2:
        return rnd.choice(_NUMBERS)
    if roll < 0.3:
        return _nesting(suffix, rnd)
    return rnd.choice(_VALUES[_format(suffix)])


def replace_token(data: bytes, rnd: random.Random, suffix: str) -> bytes:
    """A number, name or string literal replaced by something hostile."""
    tokens = list(_TOKEN.finditer(data))
    if not tokens:
        return data
    token = rnd.choice(tokens)
    return data[:token.start()] + _replacement(suffix, rnd) + data[token.end():]


def replace_value(data: bytes, rnd: random.Random, suffix: str) -> bytes:
    """A value (after ``=`` in HCL, ``:`` or ``-`` in YAML, ``:`` in JSON) replaced by a list, a map, a
    huge number, deep nesting, an odd tag..."""
    values = list(_VALUE_SITES[_format(suffix)].finditer(data))
    if not values:
        return data
    value = rnd.choice(values)
    return data[:value.start("value")] + _replacement(suffix, rnd) + data[value.end("value"):]


def insert_nesting(data: bytes, rnd: random.Random, suffix: str) -> bytes:
    at = rnd.randrange(len(data) + 1)
    return data[:at] + _nesting(suffix, rnd) + data[at:]


def splice(data: bytes, rnd: random.Random, donor: bytes) -> bytes:
    """Lines of another fixture (often of another format) inserted somewhere."""
    lines, donated = _lines(data), _lines(donor)
    start = rnd.randrange(len(donated))
    at = rnd.randrange(len(lines) + 1)
    lines[at:at] = donated[start:start + rnd.randint(1, 20)]
    return b"\n".join(lines)


_PLAIN: tuple[Mutation, ...] = (delete_line, duplicate_line, swap_lines, flip_bytes, truncate, insert_odd_bytes)
# replace_value keeps the file parseable most often, so it gets most of the draws
_BY_SUFFIX = (replace_value, replace_value, replace_value, replace_token, insert_nesting)


@dataclass
class Case:
    """One fuzz case: which fixture folder, which files mutated how, and the mutated contents."""

    seed: int
    index: int
    folder: Path
    mutated: dict[str, bytes] = field(default_factory=dict)  # path relative to the folder -> content
    steps: list[str] = field(default_factory=list)  # what was done, for the record of a failure


def make_case(seed: int, index: int, files: list[Path]) -> Case:
    rnd = random.Random(f"{seed}:{index}")
    target = rnd.choice(files)
    folder = case_folder(target)
    case = Case(seed, index, folder)
    siblings = [p for p in files if p.is_relative_to(folder) and p != target]
    chosen = [target] + ([rnd.choice(siblings)] if siblings and rnd.random() < 0.2 else [])
    for path in chosen:
        data = path.read_bytes()
        for _ in range(rnd.choice((1, 1, 1, 2, 3))):
            data = _mutate_once(data, path.suffix, rnd, files, case.steps)
        case.mutated[path.relative_to(folder).as_posix()] = data
    return case


def _mutate_once(data: bytes, suffix: str, rnd: random.Random, files: list[Path], steps: list[str]) -> bytes:
    kind = rnd.random()
    if kind < 0.25:
        mutation = rnd.choice(_PLAIN)
        steps.append(mutation.__name__)
        return mutation(data, rnd) if data else data
    if kind < 0.9:
        by_suffix = rnd.choice(_BY_SUFFIX)
        steps.append(by_suffix.__name__)
        return by_suffix(data, rnd, suffix)
    donor = rnd.choice(files)
    steps.append(f"splice from {donor.relative_to(FIXTURES).as_posix()}")
    return splice(data, rnd, donor.read_bytes())
