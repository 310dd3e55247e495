"""Terraform that would make evaluation arbitrarily expensive is cut off at a budget: what goes over
becomes unknown (never a finding) with a one-line note naming the place and the limit, and the
valid module beside it is still reported. Each input is generated here; each scan must finish
within 10 s and 500 MB (tests/bounded.py)."""
from __future__ import annotations

from bounded import VALID_TF, beside_valid, expected, notes, scan_bounded, valid_findings
from eice_checks.frontends.terraform.hcl import parse_file
from eice_checks.frontends.terraform.source import ModuleSource
from eice_checks.limits import MAX_NOTES, MAX_STEPS, STEPS_PER_CHARACTER

OVER_INSTANCES = "is over the limit of 10000 instances; not judged"
OVER_ELEMENTS = "is over the limit of 100000 elements; unknown"
# A resource whose tags are read: a value put there is evaluated.
TAGGED = 'resource "aws_instance" "x" {{\n  tags = {{ v = {value} }}\n}}\n'


def locals_block(lines: list[str]) -> str:
    return "locals {\n" + "".join(f"  {line}\n" for line in lines) + "}\n"


def out_of_steps(text: str) -> str:
    """The note for a module tree of ``text`` that runs out of steps: its budget grows by the size
    of its expressions."""
    source = ModuleSource("bad")
    source.add_file("bad/main.tf", parse_file(text))
    limit = MAX_STEPS + STEPS_PER_CHARACTER * source.expression_characters()
    return f"evaluation is over the limit of {limit} steps for this module tree; what is left of it is unknown"


def assert_only(report: dict, expected_notes: list[str]) -> None:
    assert valid_findings(report) == expected()
    assert {f["file"] for f in report["findings"]} <= {"valid/main.tf"}  # nothing concluded from the rest
    assert notes(report) == expected_notes


def test_a_count_of_a_million_is_not_expanded(tmp_path):
    bad = 'resource "aws_instance" "x" {\n  count = 1000000\n}\n'
    report = scan_bounded(beside_valid(tmp_path, {"bad/main.tf": bad}))
    assert_only(report, [f"bad/main.tf:2: aws_instance.x: count of 1000000 {OVER_INSTANCES}"])


def test_for_each_over_a_million_elements(tmp_path):
    # for_each over range(1000000) is Terraform's own error (range makes at most 1024 numbers): unknown;
    # a million strings made by nested for expressions stop at the size of one value
    bad = ('resource "aws_instance" "ranged" {\n  for_each = toset(range(1000000))\n}\n'
           'resource "aws_instance" "made" {\n'
           '  for_each = toset(flatten([for a in range(1000) : [for b in range(1000) : "${a}-${b}"]]))\n}\n')
    report = scan_bounded(beside_valid(tmp_path, {"bad/main.tf": bad}))
    assert_only(report, [f"bad/main.tf:5: aws_instance.made: a value of 100101 elements {OVER_ELEMENTS}"])


def test_for_each_over_a_long_literal_list(tmp_path):
    # (a literal list of a million is checked on the syntax tree in tests/unit/test_limits.py: parsing
    # one is the parser's part)
    items = ", ".join(f'"{i}"' for i in range(20_000))
    bad = f'resource "aws_instance" "x" {{\n  for_each = toset([{items}])\n}}\n'
    report = scan_bounded(beside_valid(tmp_path, {"bad/main.tf": bad}))
    assert_only(report, [f"bad/main.tf:2: aws_instance.x: for_each of 20000 {OVER_INSTANCES}"])


def test_nested_for_expressions(tmp_path):
    bad = locals_block(["x = [for a in range(1000) : [for b in range(1000) : b]]"])
    bad += 'resource "aws_instance" "x" {\n  count = length(local.x)\n}\n'
    report = scan_bounded(beside_valid(tmp_path, {"bad/main.tf": bad}))
    assert_only(report, [f"bad/main.tf:2: local.x: a value of 100101 elements {OVER_ELEMENTS}"])


def test_a_list_doubled_forty_times(tmp_path):
    lines = ['l0 = ["a"]'] + [f"l{i} = concat(local.l{i - 1}, local.l{i - 1})" for i in range(1, 41)]
    bad = locals_block(lines) + 'resource "aws_instance" "x" {\n  count = length(local.l40)\n}\n'
    report = scan_bounded(beside_valid(tmp_path, {"bad/main.tf": bad}))
    # l17 holds 2^17 elements: over; what is made of it is unknown, without a note of its own
    assert_only(report, [f"bad/main.tf:19: local.l17: a value of 131073 elements {OVER_ELEMENTS}"])


def test_a_chain_of_a_thousand_locals_each_naming_the_previous_twice(tmp_path):
    # Each local is evaluated once (memoised), so the chain costs linear time; what it stands for
    # doubles at each link, and the size of a value is counted as what it stands for.
    lines = ['l0 = "a"'] + [f"l{i} = [local.l{i - 1}, local.l{i - 1}]" for i in range(1, 1001)]
    bad = locals_block(lines) + TAGGED.format(value="jsonencode(local.l1000)")
    report = scan_bounded(beside_valid(tmp_path, {"bad/main.tf": bad}))
    assert valid_findings(report) == expected()
    found = notes(report)
    assert found[0] == f"bad/main.tf:18: local.l16: a value of 131071 elements {OVER_ELEMENTS}"
    assert len(found) == MAX_NOTES + 1  # l32, l48, ... then one line for the rest
    assert found[-1] == "bad/main.tf:178: more values over the limits in this module tree are not listed"


def test_a_chain_of_locals_nesting_a_list_a_thousand_deep(tmp_path):
    # values nested deeper than the limit are unknown: what goes through them recursively (the
    # model, jsonencode) would run out of stack
    lines = ['l0 = "a"'] + [f"l{i} = [local.l{i - 1}]" for i in range(1, 1001)]
    report = scan_bounded(beside_valid(tmp_path, {"bad/main.tf": locals_block(lines) + TAGGED.format(value="local.l1000")}))
    assert valid_findings(report) == expected()
    assert notes(report)[:2] == [f"bad/main.tf:{i + 2}: local.l{i}: a value nested 65 deep is over the limit of "
                                 f"64 levels; unknown" for i in (65, 130)]


def test_a_chain_of_a_thousand_locals_resolves(tmp_path):
    # Locals are evaluated dependencies first, so a long chain nests no deeper than one link: the
    # VPC's range passes through a thousand locals and the findings are those of the original.
    lines = ['l0 = "10.1.0.0/16"'] + [f"l{i} = local.l{i - 1}" for i in range(1, 1001)]
    text = VALID_TF.read_text().replace('cidr_block = "10.1.0.0/16"', "cidr_block = local.l1000", 1)
    report = scan_bounded(beside_valid(tmp_path, {"chained/main.tf": locals_block(lines) + text}))
    assert valid_findings(report) == expected()
    shifted = len(lines) + 2  # the locals block comes first
    assert {(r, f.replace("valid/", "chained/"), line) for r, f, line in expected()} == {
        (f["rule"], f["file"], f["line"] - shifted) for f in report["findings"] if f["file"].startswith("chained/")}
    assert report["errors"] == []


def test_strings_that_double_or_repeat(tmp_path):
    lines = ['s0 = "aaaaaaaaaa"'] + [f's{i} = "${{local.s{i - 1}}}${{local.s{i - 1}}}"' for i in range(1, 41)]
    lines += ['f0 = "aaaaaaaaaa"'] + [f'f{i} = format("%s%s", local.f{i - 1}, local.f{i - 1})' for i in range(1, 41)]
    lines += ['joined = join(local.s10, range(200))',  # a separator of 10240 characters, 199 times
              'replaced = replace(local.s10, "a", local.s10)',  # 10240 x 10240
              'repeated = "%{ for i in range(1000) }${local.s10}%{ endfor }"']
    value = "[local.s40, local.f40, local.joined, local.replaced, local.repeated]"
    bad = locals_block(lines) + TAGGED.format(value=f"jsonencode({value})")
    report = scan_bounded(beside_valid(tmp_path, {"bad/main.tf": bad}))
    over = "is over the limit of 1000000 characters; unknown"
    assert_only(report, [
        f"bad/main.tf:19: local.s17: a string of 1310720 characters {over}",
        f"bad/main.tf:60: local.f17: a string of 1310720 characters {over}",
        f"bad/main.tf:84: local.joined: a string of 2038250 characters {over}",
        f"bad/main.tf:85: local.replaced: a string of 104857600 characters {over}",
        f"bad/main.tf:86: local.repeated: a string of 1003520 characters {over}",
    ])


def test_module_calls_with_count_inside_modules_with_count(tmp_path):
    # 100 x 100 x 100 instances: the module tree stops at its limit, wherever that is reached
    files = {
        "bad/main.tf": 'module "a" {\n  source = "./a"\n  count  = 100\n}\n',
        "bad/a/main.tf": 'module "b" {\n  source = "../b"\n  count  = 100\n}\n',
        "bad/b/main.tf": 'resource "aws_security_group" "x" {\n  count = 100\n}\n',
    }
    report = scan_bounded(beside_valid(tmp_path, files))
    assert valid_findings(report) == expected()
    assert notes(report)[0] == ("bad/b/main.tf:2: aws_security_group.x: a module tree of 20100 instances is over "
                                "the limit of 20000 instances; not judged")


def test_evaluation_steps_are_bounded(tmp_path):
    # small values, a billion steps: the module tree's step budget runs out, and the rest is unknown
    loops = "[for a in range(1000) : length([for b in range(1000) : length([for c in range(1000) : c])])]"
    bad = locals_block([f"x = {loops}"]) + TAGGED.format(value="local.x")
    report = scan_bounded(beside_valid(tmp_path, {"bad/main.tf": bad}))
    assert_only(report, [f"bad/main.tf:2: local.x: {out_of_steps(bad)}"])


def test_a_large_value_read_by_many_instances(tmp_path):
    # Each instance's rules are built from the same 50,000 ranges: reading them is paid for each time,
    # so ten thousand instances do not make half a billion rules.
    bad = locals_block(['ranges = flatten([for a in range(200) : [for b in range(250) : "10.${a}.${b}.0/24"]])'])
    bad += ('resource "aws_security_group" "x" {\n  count = 1000\n  dynamic "ingress" {\n'
            '    for_each = local.ranges\n    content {\n      cidr_blocks = [ingress.value]\n    }\n  }\n}\n')
    report = scan_bounded(beside_valid(tmp_path, {"bad/main.tf": bad}))
    assert_only(report, [f"bad/main.tf:9: aws_security_group.x: {out_of_steps(bad)}"])
