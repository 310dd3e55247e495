"""Terraform's conversions of variable values (each checked with Terraform 1.11.4's console)."""
from __future__ import annotations

import pytest

from eice_checks.frontends.terraform.variables import ConversionError, VariableSpec, convert, finish_variable, parse_type
from eice_checks.model.values import Unknown


@pytest.mark.parametrize("type_source, value, expected", [
    ("bool", "true", True), ("bool", "1", True), ("bool", "0", False), ("number", "22", 22),
    ("number", "+5", 5), ("number", "22.", 22), ("number", "1e3", 1000), ("string", 1.5, "1.5"),
    ("string", True, "true"), ("set(string)", ["b", "a", "b"], ["a", "b"]), ("set(number)", [3, 1, 2, 1], [1, 2, 3]),
    ("list(any)", ["a", 1, True], ["a", "1", "true"]), ("list(number)", ["1", 2], [1, 2]),
    ("map(number)", {"a": "1"}, {"a": 1}),
    ("object({ p = optional(number, 22), q = optional(list(string)), r = string })", {"r": 1, "x": 2},
     {"p": 22, "q": None, "r": "1"}),
    ("object({ p = optional(number, 22) })", {"p": None}, {"p": 22}),
    ("list(object({ p = optional(number, 22) }))", [{}, {"p": "3389"}], [{"p": 22}, {"p": 3389}]),
    ("tuple([string, number])", [1, "2"], ["1", 2]),
])
def test_converts_as_terraform(type_source, value, expected):
    assert convert(value, parse_type(type_source)) == expected


@pytest.mark.parametrize("type_source, value", [
    ("bool", "True"), ("number", "0x10"), ("number", " 22"), ("number", True), ("string", ["a"]),
    ("object({ r = string })", {}), ("list(string)", "a"),
])
def test_rejects_as_terraform(type_source, value):
    with pytest.raises(ConversionError):
        convert(value, parse_type(type_source))


def test_nullable_false_takes_the_default():
    spec = VariableSpec(parse_type("string"), nullable=False)
    assert finish_variable("x", spec, None, lambda: "tcp", lambda c, v: True, lambda n: None) == "tcp"


def test_a_failing_validation_is_unknown():
    value = finish_variable("x", VariableSpec(parse_type("number"), validations=[object()]), "8080",
                            lambda: 22, lambda condition, v: v == 22, lambda n: None)
    assert isinstance(value, Unknown) and value.reason.startswith("error: ")
