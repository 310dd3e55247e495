"""The budget mechanism itself (eice_checks.limits), and how the Terraform evaluator and the
CloudFormation resolver use it."""
from __future__ import annotations

import json
import time

from eice_checks.frontends.cloudformation.loader import load_json
from eice_checks.frontends.cloudformation.resolve import Exports, Resolver, Template
from eice_checks.frontends.terraform.expressions.evaluate import evaluate, evaluate_source
from eice_checks.frontends.terraform.expressions.syntax import Literal, TupleExpr
from eice_checks.limits import MAX_ELEMENTS, MAX_STEPS, STRING_STEP, Budget, OverLimit
from eice_checks.model.values import Unknown


class Values:
    """A scope holding plain values: ``var.big`` and the like."""

    def __init__(self, **values: object) -> None:
        self.values = values

    def resolve_root(self, name: str) -> object:
        return self.values if name == "var" else Unknown(name)


def over(value: object) -> bool:
    return isinstance(value, Unknown) and value.reason.startswith("over a limit: ")


def test_a_literal_list_of_a_million_stops_at_the_size_of_one_value():
    expr = TupleExpr(0, [Literal(0, str(i)) for i in range(1_000_000)])
    budget = Budget()
    start = time.perf_counter()
    value = evaluate(expr, Values(), budget)
    assert time.perf_counter() - start < 2
    assert value == Unknown("over a limit: a value of 100001 elements is over the limit of 100000 elements; unknown")


def test_shared_parts_count_as_what_they_stand_for_and_are_measured_once():
    budget = Budget()
    value: list = ["a"]
    for _ in range(15):  # 16 lists, which stand for 2^15 - 1 lists and 2^15 strings
        value = [value, value]
        budget.admit(value)
    assert budget.size(value) == (3 * 2 ** 15 - 1, 2 ** 15, 16)
    steps = budget.steps
    try:
        budget.admit([value, value])
    except OverLimit as exc:
        assert exc.text == "a value of 196607 elements is over the limit of 100000 elements; unknown"
        assert budget.steps == steps - 2  # measured by its own length
    else:
        raise AssertionError("not over the limit")


def test_deeply_nested_values_from_variables_files_are_measured_without_recursion():
    nested: list = []
    for _ in range(10_000):
        nested = [nested]
    budget = Budget()
    assert budget.size(nested) == (10_001, 0, 10_001)
    try:  # and too deep to go through recursively, in the model or in the evaluator's functions
        budget.admit(nested)
    except OverLimit as exc:
        assert exc.text == "a value nested 10001 deep is over the limit of 64 levels; unknown"
    else:
        raise AssertionError("not over the limit")
    wide = [[i] for i in range(MAX_ELEMENTS)]  # given up on as soon as it is known to be too large
    assert Budget().size(wide)[0] > MAX_ELEMENTS


def test_over_a_limit_is_unknown_not_an_error_so_try_does_not_fall_back():
    # A fallback would look known where the real value is not: an over-limit value is no failure.
    scope = Values(big=[[i] for i in range(60_000)])
    value = evaluate_source('try(concat(var.big, var.big), "fallback")', scope, Budget())
    assert over(value)
    assert evaluate_source("can(concat(var.big, var.big))", scope, Budget()) == value


def test_functions_that_multiply_their_input_stop_before_they_build_it():
    # setproduct of three lists of 1,000 (a billion combinations); formatlist repeating a scalar of 100,000 characters in 1,000 strings
    start = time.perf_counter()
    product = evaluate_source("setproduct(range(1000), range(1000), range(1000))", Values())
    assert product == Unknown("over a limit: setproduct of 4000000 elements is over the limit of 100000 elements; unknown")
    repeated = evaluate_source('formatlist("%s%s", var.long, range(1000))', Values(long="x" * 100_000))
    assert over(repeated) and "characters" in repeated.reason
    assert time.perf_counter() - start < 2


def test_evaluation_steps_run_out_once_and_are_noted_once():
    notes: list = []
    budget = Budget(notes)
    budget.steps = 100
    value = evaluate_source("[for i in range(1000) : i * 2]", Values(), budget)
    spent = f"evaluation is over the limit of {MAX_STEPS} steps for this module tree; what is left of it is unknown"
    assert value == Unknown(f"over a limit: {spent}")
    assert evaluate_source("1 + 1", Values(), budget) == value  # spent: everything after is unknown
    assert [n.message for n in notes] == [spent]


def test_numbers_are_bounded_like_values():
    value = evaluate_source("var.n * var.n * var.n * var.n", Values(n=2 ** 300), Budget())
    assert value == Unknown("over a limit: a number of 1201 bits is over the limit of 1024 bits; unknown")


def test_notes_are_capped_per_budget():
    notes: list = []
    budget = Budget(notes)
    for line in range(1, 30):
        budget.note("too much", ("main.tf", line, "local.x"))
    assert len(notes) == 11
    assert notes[-1].message == "more values over the limits in this module tree are not listed"


def test_fn_if_ten_thousand_deep_is_resolved_without_recursion_to_the_nesting_limit():
    # deeper than any loader lets through: the resolver bounds it on its own
    body = load_json('{"Conditions": {"C": {"Fn::Equals": [{"Ref": "AWS::Region"}, "x"]}}, "Resources": {}}')
    value: object = "10.0.0.0/16"
    for _ in range(10_000):
        value = {"Fn::If": ["C", value, "10.1.0.0/16"]}
    notes: list = []
    resolver = Resolver(Template("t.json", body, body["Resources"]), Exports(), budget=Budget.for_template(notes))
    assert isinstance(resolver.resolve(value), Unknown)  # (undecided, and what is below 64 levels unknown)
    assert [n.message for n in notes] == ["values nested 65 deep is over the limit of 64 levels; unknown"]


def test_a_variable_used_many_times_in_fn_sub_is_resolved_once():
    items = json.dumps([str(i) for i in range(50_000)])  # joined: 288,889 characters

    def steps_to_resolve(uses: int) -> int:
        node = load_json('{"Fn::Sub": ["%s", {"V": {"Fn::Join": [",", %s]}}]}' % ("${V}" * uses, items))
        body = load_json('{"Resources": {}}')
        resolver = Resolver(Template("t.json", body, body["Resources"]), Exports(), budget=Budget.for_template())
        assert len(resolver.resolve(node)) == uses * 288_889
        return MAX_STEPS - resolver.budget.steps

    # two more uses cost two more copies of the text, not two more resolutions of its 50,000 parts
    assert steps_to_resolve(3) - steps_to_resolve(1) == 2 * 288_889 // STRING_STEP
