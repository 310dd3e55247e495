"""Tests for the Terraform expression parser and evaluator."""
from __future__ import annotations

from typing import Any

import pytest

from eice_checks.frontends.terraform.expressions.evaluate import evaluate, evaluate_source
from eice_checks.frontends.terraform.expressions.parser import parse_expression
from eice_checks.frontends.terraform.expressions.references import references
from eice_checks.frontends.terraform.expressions.scope import Traversable
from eice_checks.frontends.terraform.expressions.syntax import (
    Binary, GetAttr, HclExpressionError, Literal, TupleExpr, Variable,
)
from eice_checks.model.values import EntityRef, Unknown

DATA = Unknown("data source")


def sg(name: str) -> EntityRef:
    return EntityRef("sg", f"aws_security_group.{name}")


class SecurityGroups(Traversable):
    """``aws_security_group``: each name is a declared group."""

    def get_attr(self, name: str) -> Any:
        return SecurityGroup(name)


class SecurityGroup(Traversable):
    def __init__(self, name: str) -> None:
        self.name = name

    def get_attr(self, name: str) -> Any:
        if name == "id":
            return sg(self.name)
        if name == "name":
            return self.name
        return super().get_attr(name)


class Instances(Traversable):
    """``aws_instance``: ``web`` has count = 2 and supports splat."""

    def get_attr(self, name: str) -> Any:
        return CountedInstance() if name == "web" else super().get_attr(name)


class CountedInstance(Traversable):
    def get_index(self, key: Any) -> Any:
        return {"id": f"i-{key}"}

    def splat(self) -> Any:
        return [{"id": "i-0"}, {"id": "i-1"}]


class Values(Traversable):
    """``var`` / ``local``: a dict-backed object."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def get_attr(self, name: str) -> Any:
        return self.values.get(name, Unknown(f"undeclared {name}"))


VARS = {
    "cidrs": ["10.0.0.0/16", "10.1.0.0/16"],
    "name": "app",
    "port": 22,
    "enabled": True,
    "tags": {"Env": "prod", "Team": "net"},
    "nothing": None,
    "nums": [3, 1, 2],
    "servers": [{"name": "a", "ports": [22, 443]}, {"name": "b", "ports": [80]}],
}


class FakeScope:
    def resolve_root(self, name: str) -> Any:
        roots = {
            "aws_security_group": SecurityGroups(),
            "aws_instance": Instances(),
            "var": Values(VARS),
            "local": Values({"index": 1}),
            "data": DATA,
        }
        return roots.get(name, Unknown(f"unknown root {name}"))


SCOPE = FakeScope()


def ev(src: str) -> Any:
    return evaluate_source(src, SCOPE)


def assert_error(value: Any, reason: str) -> None:
    """A Terraform error: an Unknown whose reason starts with "error: "."""
    assert value == Unknown(f"error: {reason}")


def check(src: str, expected: Any) -> None:
    value = ev(src)
    assert value == expected
    assert type(value) is type(expected)  # 1000 must be an int, True a bool, not 1


# --- literals ------------------------------------------------------------------------------

LITERALS = [
    ("1", 1),
    ("1.5", 1.5),
    ("1e3", 1000),
    ("2.5e-1", 0.25),
    ("true", True),
    ("false", False),
    ("null", None),
    ('"hi"', "hi"),
    ('""', ""),
    ("  42  \n", 42),
]


@pytest.mark.parametrize("src, expected", LITERALS)
def test_literals(src: str, expected: Any) -> None:
    check(src, expected)


# --- strings and templates -----------------------------------------------------------------

TEMPLATES = [
    (r'"a\nb\t\"c\\"', 'a\nb\t"c\\'),
    (r'"\u00e9\U0001F600"', "é😀"),
    ('"$${x} %%{y}"', "${x} %{y}"),
    ('"100% $5 $"', "100% $5 $"),
    ('"${var.name}-${var.port}"', "app-22"),
    ('"v${1.5}/${true}/${1e3}"', "v1.5/true/1000"),
    ('"${0.1 + 0.2}x"', "0.3x"),
    ('"a ${~ "b" ~} c"', "abc"),
    ('"a ${"b"}  c"', "a b  c"),
    ('"%{ if var.enabled }on%{ else }off%{ endif }"', "on"),
    ('"%{ if !var.enabled }on%{ endif }!"', "!"),
    ('"%{ for i, c in var.cidrs }${i}=${c};%{ endfor }"', "0=10.0.0.0/16;1=10.1.0.0/16;"),
    ('"%{ for n in var.nums ~} ${n} %{~ endfor }"', "312"),
    ('"%{ for k, v in var.tags }${k}%{ endfor }"', "EnvTeam"),
    ('"${ {a = "x"}.a }"', "x"),
    ('"${ "in${"ner"}" }"', "inner"),
]


@pytest.mark.parametrize("src, expected", TEMPLATES)
def test_templates(src: str, expected: Any) -> None:
    check(src, expected)


def test_single_interpolation_passes_the_value_through() -> None:
    assert ev('"${var.port}"') == 22
    assert ev('"${var.cidrs}"') == ["10.0.0.0/16", "10.1.0.0/16"]
    assert ev('"${aws_security_group.web.id}"') == sg("web")
    assert ev('"${~ var.enabled ~}"') is True


def test_template_parts_that_cannot_be_strings_make_it_unknown() -> None:
    assert ev('"x${data.a.b}"') == DATA
    assert ev('"sg ${aws_security_group.web.id}"') == Unknown("string of EntityRef")
    assert ev('"x${aws_security_group.web}"') == Unknown("string of SecurityGroup")
    assert_error(ev('"x${var.cidrs}"'), "cannot convert list to string")
    assert_error(ev('"x${var.nothing}"'), "cannot convert null to string")
    assert ev('"%{ if data.x }a%{ endif }"') == DATA
    assert ev('"%{ for x in data.x }a%{ endfor }"') == DATA


HEREDOCS = [
    ("<<EOT\nhello\n  ${var.name}\nEOT\n", "hello\n  app\n"),
    ("<<EOT\nEOT", ""),
    ("<<-EOT\n    a\n      b\n\n    EOT", "a\n  b\n\n"),
    ("<<-EOT\n\t\tx ${var.port}\n\t\t  y\n\tEOT\n", "x 22\n  y\n"),
    ("<<EOT\nC:\\dir\\n $${x}\nEOT", "C:\\dir\\n ${x}\n"),
    ("<<EOF\n%{ if var.enabled }yes%{ endif }\nEOF", "yes\n"),
    ("<<EOT\r\nwin\r\nEOT\r\n", "win\r\n"),
]


@pytest.mark.parametrize("src, expected", HEREDOCS)
def test_heredocs(src: str, expected: Any) -> None:
    check(src, expected)


def test_heredoc_inside_an_object() -> None:
    assert ev("{\n  a = <<-EOT\n    text\n    EOT\n  b = 2\n}") == {"a": "text\n", "b": 2}


# --- traversals and splats -----------------------------------------------------------------


def test_traversals() -> None:
    assert ev("aws_security_group.web.id") == sg("web")
    assert ev("aws_security_group.web.name") == "web"
    assert ev("aws_security_group.web.arn") == Unknown("no attribute arn")
    assert ev("var.tags.Env") == "prod"
    assert ev('var.tags["Team"]') == "net"
    assert ev("var.cidrs[1]") == "10.1.0.0/16"
    assert ev('var.cidrs["0"]') == "10.0.0.0/16"
    assert ev("var.cidrs.0") == "10.0.0.0/16"
    assert ev("var.cidrs[local.index]") == "10.1.0.0/16"
    assert ev("var.servers[1].ports[0]") == 80
    assert ev("var.servers.0.ports.1") == 443
    assert ev("aws_instance.web[1].id") == "i-1"
    assert ev("data.aws_vpc.main.id") == DATA
    assert ev("var.cidrs[data.x]") == DATA
    assert ev("var.undeclared.x") == Unknown("undeclared undeclared")
    assert ev("count.index") == Unknown("unknown root count")


def test_failed_traversals_are_error_unknowns() -> None:
    assert_error(ev("var.cidrs[5]"), "index 5 out of range for a list of 2")
    assert_error(ev("var.cidrs[-1]"), "negative index -1")
    assert_error(ev("var.cidrs[0.5]"), "a whole number is required, got 0.5")
    assert_error(ev("var.tags.Missing"), "no attribute 'Missing'")
    assert_error(ev('var.tags["Missing"]'), "no key 'Missing'")
    assert_error(ev("var.name.x"), "string has no attribute 'x'")
    assert_error(ev("var.nothing[0]"), "cannot index null")
    assert ev("aws_security_group.web.id.x") == Unknown("attribute x of EntityRef")


def test_splats() -> None:
    assert ev("var.servers[*].name") == ["a", "b"]
    assert ev("var.servers.*.name") == ["a", "b"]
    assert ev("var.servers[*].ports[0]") == [22, 80]
    assert ev("var.servers.*.ports[0]") == [22, 443]  # attribute-only splat stops before [0]
    assert ev("var.servers[*].ports[*]") == [[22, 443], [80]]
    assert ev("var.cidrs[*]") == ["10.0.0.0/16", "10.1.0.0/16"]
    assert ev("var.name[*]") == ["app"]
    assert ev("var.tags[*].Env") == ["prod"]
    assert ev("var.nothing[*]") == []
    assert ev("aws_instance.web[*].id") == ["i-0", "i-1"]
    assert ev("aws_instance.web.*.id") == ["i-0", "i-1"]
    assert ev("aws_security_group.web[*].id") == Unknown("splat")
    assert ev("data.x.y[*].id") == DATA
    assert ev("length(var.servers[*].name)") == 2


# Each expected value is what Terraform 1.11.4 printed, one run per row (`echo 'local.x.*.b.0' |
# terraform console`), in an empty directory whose main.tf is a `locals` block of LEGACY_LOCALS.
# The rule (hashicorp/hcl, hclsyntax/spec.md "Splat Operators", and its parser): an attribute-only
# splat .* carries the following .name and legacy .0 steps to each element but ends at a [key];
# a full splat [*] carries .name, .0 and [key] steps alike.
LEGACY_LOCALS = {
    "x": [{"b": [1, 2]}, {"b": [3, 4]}],
    "y": [[1, 2], [3, 4]],
    "z": [{"b": [{"c": 1}, {"c": 2}]}, {"b": [{"c": 3}]}],
    "single": {"b": [5, 6]},
    "nothing": None,
    "str": "app",
}


class LegacyLocals:
    def resolve_root(self, name: str) -> Any:
        return Values(LEGACY_LOCALS) if name == "local" else Unknown(f"unknown root {name}")


SPLAT_READINGS = [
    ("local.x.*.b", [[1, 2], [3, 4]]),
    ("local.x[*].b", [[1, 2], [3, 4]]),
    ("local.x.*.b.0", [1, 3]),  # [for e in x : e.b[0]]
    ("local.x.*.b.1", [2, 4]),
    ("local.x.*.b[0]", [1, 2]),  # [for e in x : e.b][0]
    ("local.x.*.b[1]", [3, 4]),
    ("local.x[*].b[0]", [1, 3]),  # [for e in x : e.b[0]]
    ("local.x[*].b.0", [1, 3]),
    ("local.y.*.0", [1, 3]),
    ("local.y.*[0]", [1, 2]),
    ("local.z.*.b.0.c", [1, 3]),
    ("local.z[*].b[0].c", [1, 3]),
    ("local.single.*.b", [[5, 6]]),  # a value that is not a list is wrapped in a one-element list
    ("local.single[*].b", [[5, 6]]),
    ("local.single.*.b.0", [5]),
    ("local.single[*].b[0]", [5]),
    ("local.str.*", ["app"]),
    ("local.str[*]", ["app"]),
    ("local.nothing.*", []),  # null becomes an empty list
    ("local.nothing[*]", []),
    ("local.nothing[*].b", []),
]


@pytest.mark.parametrize("src, expected", SPLAT_READINGS)
def test_splat_readings_match_terraform(src: str, expected: Any) -> None:
    assert evaluate_source(src, LegacyLocals()) == expected


def test_attribute_only_splat_ends_at_a_bracket_index() -> None:
    # terraform console: "Error: Unsupported attribute": .c applies to the tuple local.z[0].b
    assert_error(evaluate_source("local.z.*.b[0].c", LegacyLocals()), "list has no attribute 'c'")


# --- collections ---------------------------------------------------------------------------


def test_tuples() -> None:
    assert ev('[1, "a", true,]') == [1, "a", True]
    assert ev("[]") == []
    assert ev("[\n  1,\n  2 # two\n  , 3\n]") == [1, 2, 3]
    assert ev("[[1], [var.port]]") == [[1], [22]]


def test_objects() -> None:
    src = '{ a = 1, "b" = 2, (var.name) = 3, c: 4, "${var.port}" = 5 }'
    assert ev(src) == {"a": 1, "b": 2, "app": 3, "c": 4, "22": 5}
    assert ev("{\n  a = 1\n\n  b = [\n    2,\n  ] // c\n  /* d */\n}") == {"a": 1, "b": [2]}
    assert ev("{}") == {}
    assert ev("{ var = 1, for = 2, true = 3 }") == {"var": 1, "for": 2, "true": 3}
    assert ev("{ a = { b = [1] } }.a.b[0]") == 1
    assert ev("{ (data.x) = 1 }") == DATA


def test_collections_keep_unknown_elements() -> None:
    assert ev("[aws_security_group.a.id, data.x.id]") == [sg("a"), DATA]
    assert ev("{ a = data.x, b = 1 }") == {"a": DATA, "b": 1}


# --- operators -----------------------------------------------------------------------------

OPERATORS = [
    ("1 + 2 * 3", 7),
    ("(1 + 2) * 3", 9),
    ("10 - 4 - 3", 3),
    ("8 / 2 / 2", 2),
    ("7 / 2", 3.5),
    ("4 / 2", 2),
    ("1.5 * 2", 3),
    ("7 % 3", 1),
    ("-7 % 3", -1),
    ("7.5 % 2", 1.5),
    ("2 * -3", -6),
    ("- - 2", 2),
    ('"1" + 2', 3),
    ("!true", False),
    ('!"false"', True),
    ("1 < 2 == true", True),
    ("1 + 2 > 2 + 0", True),
    ("5 >= 5", True),
    ("5 <= 4", False),
    ('1 == "1"', False),
    ("1 == 1.0", True),
    ("true == 1", False),
    ("null == null", True),
    ("[1, [2]] == [1, [2]]", True),
    ("{ a = 1 } != { a = 2 }", True),
    ("[1] == { a = 1 }", False),
    ("true || false && false", True),
    ("(true || false) && false", False),
    ("!false && !false", True),
    ("var.port == 22 && var.name == \"app\"", True),
    ("aws_security_group.a.id == aws_security_group.a.id", True),
    ("aws_security_group.a.id == aws_security_group.b.id", False),
    ('aws_security_group.a.id == "sg-1"', False),
    ("false && data.x", False),
    ("data.x && false", False),
    ("true || data.x", True),
    ("data.x || true", True),
]


@pytest.mark.parametrize("src, expected", OPERATORS)
def test_operators(src: str, expected: Any) -> None:
    check(src, expected)


def test_operators_with_unknown_operands() -> None:
    assert ev("data.x + 1") == DATA
    assert ev("1 * data.x") == DATA
    assert ev("-data.x") == DATA
    assert ev("!data.x") == DATA
    assert ev("data.x == 1") == DATA
    assert ev("[data.x] == [1]") == DATA
    assert ev("[data.x] == [1, 2]") is False
    assert ev("[data.x, 1] == [1, 2]") is False  # a known mismatch decides despite the Unknown
    assert ev("{ a = var.undeclared, b = data.x } == { a = 1, b = 2 }") == Unknown("undeclared undeclared")
    assert ev("true && data.x") == DATA
    assert ev("var.undeclared || data.x") == Unknown("undeclared undeclared")  # the first Unknown
    assert ev("aws_security_group.a.id + 1") == Unknown("number of EntityRef")
    assert ev("aws_security_group.a == 1") == Unknown("comparison of an object")


def test_operator_errors() -> None:
    assert_error(ev("1 / 0"), "division by zero")
    assert_error(ev("1 % 0"), "modulo by zero")
    assert_error(ev("true + 1"), "a number is required, got bool True")
    assert_error(ev('"a" + 1'), "a number is required, got string 'a'")
    assert_error(ev("1 && true"), "a bool is required, got number")


# --- conditionals --------------------------------------------------------------------------

CONDITIONALS = [
    ('var.enabled ? "a" : "b"', "a"),
    ("!var.enabled ? 1 : 2", 2),
    ('"true" ? 1 : 2', 1),
    ("false ? 1 : true ? 2 : 3", 2),
    ("true ? false ? 1 : 2 : 3", 2),
    ('data.x ? "a" : "a"', "a"),
    ("data.x ? [1, { a = 2 }] : [1, { a = 2 }]", [1, {"a": 2}]),
    ("var.enabled ? 1 : data.x", 1),
    ("(var.port > 10 ? var.port : 10) + 1", 23),
]


@pytest.mark.parametrize("src, expected", CONDITIONALS)
def test_conditionals(src: str, expected: Any) -> None:
    check(src, expected)


def test_conditionals_with_unknown_condition() -> None:
    assert ev('data.x ? "a" : "b"') == DATA
    assert ev("data.x ? [1, data.y] : [1, data.y]") == DATA
    assert_error(ev("1 ? 2 : 3"), "a bool is required, got number")


# --- for expressions -----------------------------------------------------------------------

FOR_EXPRESSIONS = [
    ("[for c in var.cidrs : upper(c)]", ["10.0.0.0/16", "10.1.0.0/16"]),
    ("[for i, c in var.cidrs : i]", [0, 1]),
    ("[for n in var.nums : n * 10 if n > 1]", [30, 20]),
    ("[for k, v in { b = 1, a = 2 } : k]", ["a", "b"]),
    ("[for v in { b = 1, a = 2 } : v]", [2, 1]),
    ("{for k, v in var.tags : lower(k) => v}", {"env": "prod", "team": "net"}),
    ("{for s in var.servers : s.name => s.ports}", {"a": [22, 443], "b": [80]}),
    ("{for n in [1, 2, 3, 4] : (n % 2 == 0 ? \"even\" : \"odd\") => n...}", {"odd": [1, 3], "even": [2, 4]}),
    ("{for i, n in [5, 6] : i => n}", {"0": 5, "1": 6}),
    ("[for var in [1, 2] : var + 1]", [2, 3]),
    ("[\n  for s in var.servers :\n  s.name\n  if s.name != \"a\"\n]", ["b"]),
    ("[for x in [] : x]", []),
    ("[for x in [data.x, 1] : x]", [DATA, 1]),
    ("[for xs in [[1, 2], [3]] : [for x in xs : x * 2]]", [[2, 4], [6]]),
]


@pytest.mark.parametrize("src, expected", FOR_EXPRESSIONS)
def test_for_expressions(src: str, expected: Any) -> None:
    check(src, expected)


def test_for_expressions_that_cannot_be_known() -> None:
    assert ev("[for x in data.x : x]") == DATA
    assert ev("[for x in [1, 2] : x if data.y]") == DATA
    assert ev("{for x in [1] : data.k => x}") == DATA
    assert_error(ev("{for x in [1, 1] : x => x}"), "duplicate key '1' in for expression (use ... to group)")
    assert_error(ev("[for x in var.name : x]"), "cannot iterate over string")


# --- functions -----------------------------------------------------------------------------

FUNCTIONS = [
    ('concat(var.cidrs, ["1.2.3.4/32"])', ["10.0.0.0/16", "10.1.0.0/16", "1.2.3.4/32"]),
    ("concat()", []),
    ("flatten([[1, [2]], [], 3])", [1, 2, 3]),
    ('toset(["b", "a", "b"])', ["a", "b"]),
    ("toset([3, 1, 3])", [1, 3]),
    # The set and list functions below, each as Terraform 1.11's console gives it
    ('toset([1, "1", true])', ["1", "true"]),  # one element type: the numbers and bools become strings
    ("toset([2, 10])", [2, 10]),
    ('setproduct(["a", "b"], [22, 3389])', [["a", 22], ["a", 3389], ["b", 22], ["b", 3389]]),
    ('setproduct(toset(["b", "a"]), [1])', [["a", 1], ["b", 1]]),
    ('setproduct(["a", "a"], [1])', [["a", 1], ["a", 1]]),
    ("setproduct([], [1])", []),
    ('setunion(["b", "a"], ["c", "a"])', ["a", "b", "c"]),
    ("setunion([10], [9])", [9, 10]),
    ('setunion([1], ["1"])', ["1"]),
    ('setintersection(["a", "b"], ["b", "c"])', ["b"]),
    ('setsubtract(["a", "b", "c"], ["b"])', ["a", "c"]),
    ('sort(["b", "a", "10", "9"])', ["10", "9", "a", "b"]),
    ("sort([10, 9])", ["10", "9"]),
    ("reverse([1, 2, 3])", [3, 2, 1]),
    ('reverse(toset(["b", "a"]))', ["b", "a"]),
    ('alltrue([true, "true"])', True),
    ('alltrue(["false", true])', False),
    ("alltrue([])", True),
    ("anytrue([])", False),
    ('startswith("sg-123", "sg-")', True),
    ('endswith("10.0.0.1/32", "/32")', True),
    ('formatlist("%s/32", ["10.0.0.1", "10.0.0.2"])', ["10.0.0.1/32", "10.0.0.2/32"]),
    ('formatlist("%s:%d", ["a", "b"], 22)', ["a:22", "b:22"]),
    ('formatlist("x")', ["x"]),
    ("chunklist([1, 2, 3, 4, 5], 2)", [[1, 2], [3, 4], [5]]),
    ("chunklist([1, 2], 0)", [[1, 2]]),
    ("chunklist([], 2)", []),
    ("tolist([1, 2])", [1, 2]),
    ("tomap({ a = 1 })", {"a": 1}),
    ("tostring(5)", "5"),
    ("tostring(true)", "true"),
    ("tostring(null)", None),
    ('tonumber("42")', 42),
    ('tonumber("1.5")', 1.5),
    ('tobool("true")', True),
    ('compact(["a", "", null, "b"])', ["a", "b"]),
    ('distinct([1, 2, 1, "1", [1], [1]])', [1, 2, "1", [1]]),
    ('join("-", ["a", 1, true])', "a-1-true"),
    ('join(",", ["a"], ["b"])', "a,b"),
    ('split(",", "a,b,,c")', ["a", "b", "", "c"]),
    ('lookup(var.tags, "Env")', "prod"),
    ('lookup(var.tags, "Nope", "dflt")', "dflt"),
    ('element(["a", "b", "c"], 1)', "b"),
    ('element(["a", "b", "c"], 4)', "b"),
    ('coalesce("", null, "x", data.y)', "x"),
    ("coalesce(null, 0)", 0),
    ("coalescelist([], [1], data.x)", [1]),
    ("try(var.tags.Missing, var.tags.Env)", "prod"),
    ('try(var.cidrs[7], "fallback")', "fallback"),
    ('try([var.tags.Missing], ["fallback"])', ["fallback"]),
    ('try(var.port, "fallback")', 22),
    ("can(var.tags.Missing)", False),
    ("can(var.tags.Env)", True),
    ("can(1 / 0)", False),
    ("length(var.cidrs)", 2),
    ("length(var.tags)", 2),
    ('length("héllo")', 5),
    ("keys({ b = 1, a = 2 })", ["a", "b"]),
    ("values({ b = 1, a = 2 })", [2, 1]),
    ("merge({ a = 1, b = 1 }, null, { b = 2, c = 3 })", {"a": 1, "b": 2, "c": 3}),
    ('contains(var.cidrs, "10.1.0.0/16")', True),
    ('contains(var.cidrs, "0.0.0.0/0")', False),
    ("contains([1, 2], 2.0)", True),
    ('format("Hello, %s!", "Ander")', "Hello, Ander!"),
    ('format("There are %d lights", 4)', "There are 4 lights"),
    ('format("%q/%v/%v/%s", "x", true, [1, "a"], 1.5)', '"x"/true/[1,"a"]/1.5'),
    ('format("100%%")', "100%"),
    ('lower("AbC")', "abc"),
    ('upper("AbC")', "ABC"),
    ('trimspace("  a b \\n")', "a b"),
    ('replace("a-b-c", "-", "_")', "a_b_c"),
    ('cidrsubnet("10.1.2.0/24", 4, 15)', "10.1.2.240/28"),
    ('cidrsubnet("172.16.0.0/12", 4, 2)', "172.18.0.0/16"),
    # Terraform's documented result; the /56 -> /72 subnet number lands in the fifth group's high byte
    ('cidrsubnet("fd00:fd12:3456:7890::/56", 16, 162)', "fd00:fd12:3456:7800:a200::/72"),
    ('cidrsubnet("10.0.0.0/16", 8, var.port)', "10.0.22.0/24"),
    ('cidrhost("10.12.112.0/20", 16)', "10.12.112.16"),
    ('cidrhost("10.12.112.0/20", 268)', "10.12.113.12"),
    ('cidrhost("10.0.0.0/24", -1)', "10.0.0.255"),
    ('cidrhost("fd00:fd12:3456:7890:00a2::/72", 34)', "fd00:fd12:3456:7890::22"),
    ('cidrnetmask("172.16.0.0/12")', "255.240.0.0"),
    ("min(3, 1, 2)", 1),
    ("max(var.nums...)", 3),
    ("min(1.5, 2)", 1.5),
    ("range(3)", [0, 1, 2]),
    ("range(1, 4)", [1, 2, 3]),
    ("range(3, 0)", [3, 2, 1]),
    ("range(5, 0, -2)", [5, 3, 1]),
    ("range(0, 1, 0.25)", [0, 0.25, 0.5, 0.75]),
    ("range(1, 5, -1)", []),
    ('zipmap(["a", "b"], [1, data.x])', {"a": 1, "b": DATA}),
    ('slice(["a", "b", "c"], 1, 3)', ["b", "c"]),
    ("one([])", None),
    ('one(["x"])', "x"),
    ("sum([1, 2, 3.5])", 6.5),
    ("sum([0.5, 0.5])", 1),
    ("abs(-3)", 3),
    ('jsonencode({ "b" = [1, "<x>"], a = true, c = null })', '{"a":true,"b":[1,"\\u003cx\\u003e"],"c":null}'),
    ('jsonencode("é")', '"é"'),
]


@pytest.mark.parametrize("src, expected", FUNCTIONS)
def test_functions(src: str, expected: Any) -> None:
    check(src, expected)


def test_functions_that_need_known_elements() -> None:
    assert ev("concat(data.x, [1])") == DATA
    assert ev("concat([data.x], [1])") == [DATA, 1]
    assert ev("flatten([[1, [2]], [data.x]])") == [1, 2, DATA]
    assert ev('compact(["a", "", null, data.x])') == ["a", DATA]
    assert ev("tolist([data.x])") == [DATA]
    assert ev('toset(["b", data.x, "a", "b"])') == ["b", DATA, "a"]
    assert ev("distinct([data.x, 1])") == DATA
    assert ev('join(",", [data.x, "a"])') == DATA
    assert ev('join(",", [aws_security_group.a.id])') == Unknown("string of EntityRef")
    assert ev("length([data.x, 1])") == 2
    assert ev("length(data.x)") == DATA
    assert ev('contains([data.x, "a"], "a")') is True
    assert ev('contains([data.x, "a"], "b")') == DATA
    assert ev('contains(var.cidrs, data.x)') == DATA
    assert ev("contains([aws_security_group.a.id], aws_security_group.a.id)") is True
    assert ev('coalesce("", data.y, "x")') == DATA
    assert ev("sum([1, data.x])") == DATA
    assert ev("jsonencode([1, data.x])") == DATA
    assert ev("jsonencode([aws_security_group.a.id])") == Unknown("value of EntityRef")
    assert ev('zipmap([data.x], [1])') == DATA
    assert ev('format("%s", data.x)') == DATA
    assert ev("max(data.x...)") == DATA
    assert ev("tostring(aws_security_group.a.id)") == sg("a")
    # whether an element belongs to a set needs all of it; a product or a union only carries it
    assert ev('setproduct([aws_security_group.a.id], [22])') == [[sg("a"), 22]]
    assert ev("setunion([aws_security_group.a.id], [aws_security_group.a.id])") == [sg("a")]
    assert ev('setunion(["a"], [data.x])') == DATA
    assert ev('setsubtract(["a", "b"], [data.x])') == DATA
    assert ev('setintersection([data.x], ["a"])') == DATA
    assert ev("sort([aws_security_group.a.id])") == Unknown("value of EntityRef")
    assert ev('startswith(aws_security_group.a.id, "sg-")') == Unknown("string of EntityRef")
    assert ev("alltrue([true, data.x])") == DATA
    assert ev("alltrue([false, data.x])") is False
    assert ev("anytrue([data.x, true])") is True
    assert ev('formatlist("%s/32", [data.x])') == DATA


def test_try_and_can_with_unknowns() -> None:
    assert ev('try(data.x.y, "d")') == DATA
    assert ev('try(var.tags.Missing, data.x, "d")') == DATA
    assert ev("try([data.x, 1], [])") == [DATA, 1]
    assert ev("can(data.x)") == DATA
    assert ev("can([1, data.x])") == DATA
    assert_error(ev("try(var.tags.Missing, var.cidrs[9])"), "try: no argument could be evaluated")


def test_unsupported_functions_are_unknown() -> None:
    assert ev('file("x.txt")') == Unknown("function file")
    assert ev('templatefile("t.tpl", {})') == Unknown("function templatefile")
    assert ev("timestamp()") == Unknown("function timestamp")
    assert ev("uuid()") == Unknown("function uuid")
    assert ev("no_such_function(1)") == Unknown("function no_such_function")
    assert ev('provider::aws::arn_parse("x")') == Unknown("function provider::aws::arn_parse")
    assert ev('replace("abc", "/b/", "x")') == Unknown("function replace with a regular expression")


def test_function_errors_are_unknown_not_exceptions() -> None:
    assert_error(ev("length(5)"), "length: cannot measure number")
    assert_error(ev("upper([1])"), "cannot convert list to string")
    assert_error(ev('lookup(var.tags, "Nope")'), "lookup: no key 'Nope'")
    assert_error(ev("element([], 0)"), "element: empty list")
    assert_error(ev('coalesce("", null)'), "coalesce: no non-null, non-empty argument")
    assert_error(ev("one([1, 2])"), "one: more than one element")
    assert_error(ev('tonumber("x")'), "a number is required, got string 'x'")
    assert_error(ev('format("%s")'), "format: not enough arguments")
    assert_error(ev('format("%s", 1, 2)'), "format: too many arguments")
    assert_error(ev('format("%x", 1)'), "format: unsupported verb %x")
    assert_error(ev('cidrsubnet("10.0.0.0/30", 4, 0)'), "cidrsubnet: 4 more bits do not fit in 10.0.0.0/30")
    assert_error(ev('setproduct(["a"])'), "setproduct: at least two arguments are required")
    assert_error(ev('formatlist("%s-%s", ["a", "b"], ["c"])'), "formatlist: the list arguments differ in length")
    assert_error(ev("chunklist([1], -1)"), "chunklist: the size must not be negative")
    assert_error(ev('cidrsubnet("10.0.0.0/16", 2, 4)'), "cidrsubnet: 4 does not fit in 2 bits")
    assert_error(ev('cidrnetmask("fd00::/8")'), "cidrnetmask: only IPv4 prefixes have a netmask")
    assert_error(ev('cidrhost("not-a-cidr", 1)'), "cidrhost: 'not-a-cidr' does not appear to be an IPv4 or IPv6 network")
    assert_error(ev("range(0, 2000)"), "range: more than 1024 elements")
    assert_error(ev("concat(1)"), "concat: a list is required, got number")
    assert_error(ev("max(var.name...)"), "expansion: a list is required, got string")
    assert ev("[length(5), 1]") == [Unknown("error: length: cannot measure number"), 1]


# --- syntax --------------------------------------------------------------------------------

SYNTAX_ERRORS = [
    ("1 +", 3, "unexpected end of input, expected an expression"),
    ("foo bar", 4, "unexpected identifier 'bar', expected the end of the expression"),
    ("[1, 2", 5, "unexpected end of input, expected ']'"),
    ("f(1,,)", 4, "unexpected ',', expected an expression"),
    ("a ? b", 5, "unexpected end of input, expected ':'"),
    ("a.", 2, "unexpected end of input, expected an attribute name"),
    ("{a = 1 b = 2}", 7, "unexpected identifier 'b', expected a comma or a newline"),
    ("{ a = 1 +\n 2 }", 9, "unexpected newline, expected an expression"),
    ("1 @ 2", 2, "unexpected character '@'"),
    ("}", 0, "unexpected '}', expected an expression"),
    ('"abc', 0, "unterminated string"),
    ('"a\nb"', 0, "unterminated string"),
    ('x + "${a"', 8, "unterminated string"),
    ('"${a', 4, "unterminated template interpolation"),
    ('"\\q"', 1, "invalid escape sequence"),
    ('"\\u12"', 1, "invalid escape sequence"),
    ("/* x", 0, "unterminated comment"),
    ("<<EOT\nabc\n", 0, "unterminated heredoc, expected EOT"),
    ('"%{ if a }x"', 1, "missing %{ endif }"),
    ('"%{ for x in y }x"', 1, "missing %{ endfor }"),
    ('"%{ endif }"', 1, "unexpected %{ endif }"),
    ('"%{ while x }"', 4, "unexpected identifier 'while', expected if, else, endif, for or endfor"),
    ("[for x in y]", 11, "unexpected ']', expected ':'"),
    ("{for x in y : x}", 15, "unexpected '}', expected '=>'"),
    ("[for x y : x]", 7, "unexpected identifier 'y', expected 'in'"),
    ("a::b", 4, "unexpected end of input, expected '('"),
    ("p::f::g", 7, "unexpected end of input, expected '('"),
    ("", 0, "unexpected end of input, expected an expression"),
]


@pytest.mark.parametrize("src, offset, message", SYNTAX_ERRORS)
def test_syntax_errors(src: str, offset: int, message: str) -> None:
    with pytest.raises(HclExpressionError) as caught:
        parse_expression(src)
    assert (caught.value.offset, caught.value.message) == (offset, message)
    assert str(caught.value) == f"{message} (at offset {offset})"


def test_syntax_error_becomes_unknown_in_evaluate_source() -> None:
    assert ev("1 +") == Unknown("syntax: unexpected end of input, expected an expression at offset 3")


@pytest.mark.parametrize(
    "src",
    ["(" * 500 + "1" + ")" * 500, "[" * 3000, "-" * 5000 + "1", "a" + "[*].b" * 200, '"${' * 300 + "1" + '}"' * 300],
)
def test_deep_nesting_is_a_syntax_error(src: str) -> None:
    with pytest.raises(HclExpressionError) as caught:
        parse_expression(src)
    assert caught.value.message == "expression is nested too deeply"


def test_long_chains_parse_without_recursion_and_are_bounded_by_the_tree_depth() -> None:
    # a chain nests nothing while it is parsed, but its tree is as deep as it is long, and evaluation
    # recurses once per level: an absurdly long one is refused, where it starts
    assert evaluate_source(" + ".join(["1"] * 100), SCOPE) == 100
    assert references(parse_expression(" + ".join(["a"] * 128))) == [("a",)]
    for chain in (" + ".join(["1"] * 5000), "a" + ".b" * 5000, "a" + "[0]" * 5000):
        with pytest.raises(HclExpressionError) as caught:
            parse_expression(chain)
        assert (caught.value.message, caught.value.offset) == ("expression is nested too deeply", 0)


def test_newlines_and_comments() -> None:
    assert ev("(1 +\n 2)") == 3
    assert ev("\n\n  1 + # one\n  2 // two\n") == 3  # the whole input is one expression
    assert ev("1 + /* inline\n comment */ 2") == 3
    assert ev("concat(\n  [1],\n  [2],\n)") == [1, 2]
    assert ev("var.tags\n  .Env") == "prod"


def test_identifiers_may_contain_dashes() -> None:
    assert ev("{ my-key = 1 }") == {"my-key": 1}
    assert ev("var.port-1") == Unknown("undeclared port-1")
    assert ev("var.port - 1") == 21


def test_parse_tree_and_offsets() -> None:
    assert parse_expression("  [1, foo]") == TupleExpr(2, [Literal(3, 1), Variable(6, "foo")])
    assert parse_expression("a.b + 2") == Binary(0, "+", GetAttr(0, Variable(0, "a"), "b"), Literal(6, 2))


# --- references ----------------------------------------------------------------------------

REFERENCES = [
    ("aws_security_group.x.id", [("aws_security_group", "x", "id")]),
    ("aws_instance.web[0].id", [("aws_instance", "web")]),
    ("aws_instance.web.0.id", [("aws_instance", "web")]),
    ("aws_instance.web[*].id", [("aws_instance", "web")]),
    ("aws_instance.web.*.id", [("aws_instance", "web")]),
    ("var.list[local.i]", [("var", "list"), ("local", "i")]),
    ("[for s in var.servers : s.name if s.enabled]", [("var", "servers")]),
    ("{for k, v in local.m : k => v.id}", [("local", "m")]),
    ("[for var in local.l : var.x]", [("local", "l")]),
    ("concat(var.a, [data.b.c])", [("var", "a"), ("data", "b", "c")]),
    ('"${var.a}-${var.a}"', [("var", "a")]),
    ("{ a = var.b, (local.k) = 1 }", [("var", "b"), ("local", "k")]),
    ("count.index", [("count", "index")]),
    ("element(var.a, 0).id", [("var", "a")]),
    ('"%{ for x in var.xs }${x}${var.y}%{ endfor }"', [("var", "xs"), ("var", "y")]),
    ("var.a ? local.b : data.c.d", [("var", "a"), ("local", "b"), ("data", "c", "d")]),
    ("1 + 2", []),
]


@pytest.mark.parametrize("src, expected", REFERENCES)
def test_references(src: str, expected: list[tuple[str, ...]]) -> None:
    assert references(parse_expression(src)) == expected


def test_evaluate_never_raises_from_a_broken_scope() -> None:
    class Broken:
        def resolve_root(self, name: str) -> Any:
            raise RuntimeError("boom")

    assert evaluate(parse_expression("[var.x, 1]"), Broken()) == [Unknown("error: boom"), 1]
