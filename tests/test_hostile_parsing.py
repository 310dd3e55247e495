"""What a hostile pull request can write inside a source file: YAML tags that do not convert, short
forms of the wrong shape, numbers of thousands of digits, nesting ten thousand deep, in every format.
Each is its file's one error entry (file, line, short reason), never a traceback or exit status 2,
and the valid source beside it is still reported (exit 1). Every input is generated here; each scan
runs in a child process held to 10 s and 500 MB (tests/bounded.py). Values nested as deep as the
readers accept are walked without recursion errors, and long inputs are read in linear time."""
from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest

import bounded
from bounded import VALID_CFN, VALID_TF, beside_valid, expected, scan_bounded, valid_findings
from eice_checks.config import Config
from eice_checks.engine import run
from eice_checks.frontends.cloudformation.loader import MAX_DEPTH
from eice_checks.frontends.terraform.expressions.evaluate import evaluate_source
from eice_checks.frontends.terraform.expressions.syntax import MAX_DEPTH as MAX_EXPRESSION_DEPTH
from eice_checks.frontends.terraform.hcl import parse_file
from eice_checks.model.values import Unknown

DEEP = 10_000
DIGITS = "9" * 5000  # Python refuses to convert more than 4300 digits between int and str
TOO_DEEP = "nested more than 128 levels deep"
NUMBER = "number longer than 1000 characters"


def yaml_template(value: str) -> str:
    """A template whose GroupDescription, on line 6, is ``value``."""
    return ("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Group:\n    Type: AWS::EC2::SecurityGroup\n"
            f"    Properties:\n      GroupDescription: {value}\n")


def json_template(value: str) -> str:
    """A template whose GroupDescription, on line 4, is ``value``."""
    return ('{"AWSTemplateFormatVersion": "2010-09-09",\n "Resources": {"Group": {"Type": "AWS::EC2::SecurityGroup",\n'
            '  "Properties": {\n    "GroupDescription": ' + value + "}}}}\n")


def plan(value: str) -> str:
    """A plan (terraform show -json) whose group's ``ingress``, on line 3, is ``value``."""
    return ('{"format_version": "1.2", "planned_values": {"root_module": {"resources": [\n'
            '  {"address": "aws_security_group.g", "mode": "managed", "type": "aws_security_group", "name": "g",\n'
            '   "values": {"ingress": ' + value + "}}]}}}\n")


def tf(value: str, name: str = "description") -> str:
    """A security group whose ``name`` attribute, on line 2, is ``value``."""
    return f'resource "aws_security_group" "g" {{\n  {name} = {value}\n}}\n'


def tf_rule(from_port: str) -> str:
    """A group whose ingress rule's from_port, on line 4, is ``from_port``."""
    return ('resource "aws_security_group" "g" {\n  ingress {\n    protocol  = "tcp"\n'
            f'    from_port = {from_port}\n    to_port   = 22\n    cidr_blocks = ["0.0.0.0/0"]\n  }}\n}}\n')


TF_VARIABLE = 'variable "x" {}\n\nresource "aws_security_group" "g" {\n  description = var.x\n}\n'

# (case, files of the hostile source, the one error expected: file, line, message)
YAML_TAGS = [
    ("!!int abc", 6, "invalid YAML: 'abc' is not a valid !!int"),
    ("!!float x", 6, "invalid YAML: 'x' is not a valid !!float"),
    ("!!bool maybe", 6, "invalid YAML: 'maybe' is not a valid !!bool"),
    ("!!timestamp nope", 6, "invalid YAML: 'nope' is not a valid !!timestamp"),
    ("!!null x", 6, "invalid YAML: 'x' is not a valid !!null"),
    ("!!int ''", 6, "invalid YAML: '' is not a valid !!int"),
    ("!!binary ???", 6, "YAML tag tag:yaml.org,2002:binary is not allowed in a CloudFormation template"),
    ("!Ref [a, b]", 6, "!Ref takes a scalar, not a list of 2"),
    ("!GetAtt {}", 6, "!GetAtt takes Resource.Attribute or a list of 2, not a mapping"),
    ("!GetAtt NoAttribute", 6, "!GetAtt takes Resource.Attribute or a list of 2, not 'NoAttribute'"),
    ("!If [Condition, a]", 6, "!If takes a list of 3, not a list of 2"),
    ("!Sub {a: b}", 6, "!Sub takes a scalar or a list of 2, not a mapping"),
    ("!Bogus x", 6, "unknown tag !Bogus"),
]
NUMBERS = [
    ("yaml", {"hostile/t.yaml": yaml_template(DIGITS)}, ("hostile/t.yaml", 6, NUMBER)),
    ("yaml hex", {"hostile/t.yaml": yaml_template("0x" + "f" * 5000)}, ("hostile/t.yaml", 6, NUMBER)),
    ("yaml !!int", {"hostile/t.yaml": yaml_template(f"!!int '{DIGITS}'")}, ("hostile/t.yaml", 6, NUMBER)),
    ("json", {"hostile/t.json": json_template(DIGITS)}, ("hostile/t.json", 4, f"invalid JSON: {NUMBER}")),
    ("json exponent", {"hostile/t.json": json_template("1e" + DIGITS)}, ("hostile/t.json", 4, f"invalid JSON: {NUMBER}")),
    ("plan", {"hostile/plan.json": plan(DIGITS)}, ("hostile/plan.json", 3, f"invalid plan JSON: {NUMBER}")),
    ("hcl count", {"hostile/main.tf": tf("1" + DIGITS, "count")}, ("hostile/main.tf", 2, f"invalid HCL: {NUMBER}")),
    ("hcl from_port", {"hostile/main.tf": tf_rule(DIGITS)}, ("hostile/main.tf", 4, f"invalid HCL: {NUMBER}")),
    ("hcl legacy index", {"hostile/main.tf": tf("var.x." + DIGITS)}, ("hostile/main.tf", 2, f"invalid HCL: {NUMBER}")),
    ("tfvars", {"hostile/main.tf": TF_VARIABLE, "hostile/terraform.tfvars": f"x = {DIGITS}\n"},
     ("hostile/terraform.tfvars", 1, f"invalid variables file: {NUMBER}")),
]
NESTING = [
    ("yaml flow sequence", {"hostile/t.yaml": yaml_template("[" * DEEP + "]" * DEEP)}, ("hostile/t.yaml", 6, None)),
    ("yaml flow mapping", {"hostile/t.yaml": yaml_template("{a: " * DEEP + "1" + "}" * DEEP)}, ("hostile/t.yaml", 6, None)),
    ("yaml block sequence", {"hostile/t.yaml": yaml_template("\n        " + "- " * DEEP + "x")}, ("hostile/t.yaml", 7, None)),
    ("yaml block mapping", {"hostile/t.yaml": yaml_template("\n" + "".join(" " * (8 + i) + f"k{i}:\n" for i in range(2000)))},
     ("hostile/t.yaml", None, None)),
    ("yaml short forms", {"hostile/t.yaml": yaml_template("!Not [" * DEEP + "x" + "]" * DEEP)}, ("hostile/t.yaml", 6, None)),
    ("json", {"hostile/t.json": json_template("[" * DEEP + "]" * DEEP)}, ("hostile/t.json", 4, f"invalid JSON: {TOO_DEEP}")),
    ("json objects", {"hostile/t.json": json_template('{"a": ' * DEEP + "1" + "}" * DEEP)},
     ("hostile/t.json", 4, f"invalid JSON: {TOO_DEEP}")),
    ("plan", {"hostile/plan.json": plan("[" * DEEP + "]" * DEEP)}, ("hostile/plan.json", 3, f"invalid plan JSON: {TOO_DEEP}")),
    ("tfvars.json", {"hostile/main.tf": TF_VARIABLE, "hostile/terraform.tfvars.json": '{"x": ' + "[" * DEEP + "]" * DEEP + "}"},
     ("hostile/terraform.tfvars.json", None, "invalid variables file: nesting too deep")),
] + [
    (f"hcl {name}", {"hostile/main.tf": tf(text)}, ("hostile/main.tf", 2, "invalid HCL: expression is nested too deeply"))
    for name, text in [
        ("lists", "[" * DEEP + "]" * DEEP), ("parentheses", "(" * DEEP + "1" + ")" * DEEP),
        ("function calls", "max(" * DEEP + "1" + ")" * DEEP), ("objects", "{ a = " * DEEP + "1" + " }" * DEEP),
        ("unary operators", "-" * DEEP + "1"), ("conditionals", "true ? 1 : " * DEEP + "2"),
        ("operator chain", " + ".join(["1"] * DEEP)), ("attribute chain", "var.x" + ".a" * DEEP),
        ("index chain", "var.x" + "[0]" * DEEP), ("splats", "var.x" + "[*].a" * DEEP),
        ("for expressions", "[for a in [1] : " * DEEP + "a" + "]" * DEEP),
    ]
] + [
    ("hcl templates", {"hostile/main.tf": tf('"${' * DEEP + "1" + '}"' * DEEP)}, ("hostile/main.tf", 2, None)),
    ("hcl heredocs", {"hostile/main.tf": tf("".join(f"<<E{i}\n${{" for i in range(DEEP)) + "1"
                                            + "".join(f"}}\nE{i}\n" for i in reversed(range(DEEP))))},
     ("hostile/main.tf", None, None)),
    ("hcl blocks", {"hostile/main.tf": "b {\n" * DEEP + "}\n" * DEEP}, ("hostile/main.tf", 101, "invalid HCL: blocks nested more than 100 deep")),
]


def _one_error(root: Path, files: dict[str, str], error: tuple[str, Any, Any], valid: Path) -> dict:
    """Scan ``files`` beside ``valid``: its findings are reported, and exactly ``error`` (a line or a
    message of None: any) for the hostile source."""
    report = scan_bounded(beside_valid(root, files, valid))
    assert valid_findings(report) == expected(valid)
    assert len(report["errors"]) == 1, report["errors"]
    found = report["errors"][0]
    file, line, message = error
    assert found["file"] == file and (line is None or found.get("line") == line), found
    assert message is None or found["message"] == message, found
    assert len(found["message"]) < 120 and "internal error" not in found["message"]
    return found


@pytest.mark.parametrize("value, line, message", YAML_TAGS, ids=[case[0] for case in YAML_TAGS])
def test_yaml_tags_that_do_not_convert_or_fit_are_the_templates_error(tmp_path, value, line, message):
    _one_error(tmp_path, {"hostile/t.yaml": yaml_template(value)}, ("hostile/t.yaml", line, message), VALID_CFN)


def test_yaml_is_loaded_safely(tmp_path):
    pwned = tmp_path / "PWNED"
    value = f"!!python/object/apply:os.system ['touch {pwned}']"
    message = "YAML tag tag:yaml.org,2002:python/object/apply:os.system is not allowed in a CloudFormation template"
    _one_error(tmp_path, {"hostile/t.yaml": yaml_template(value)}, ("hostile/t.yaml", 6, message), VALID_CFN)
    assert not pwned.exists()


@pytest.mark.parametrize("case, files, error", NUMBERS, ids=[case[0] for case in NUMBERS])
def test_numbers_of_thousands_of_digits_are_the_files_error(tmp_path, case, files, error):
    _one_error(tmp_path, files, error, VALID_TF)


@pytest.mark.parametrize("case, files, error", NESTING, ids=[case[0] for case in NESTING])
def test_nesting_ten_thousand_deep_is_the_files_error(tmp_path, case, files, error):
    found = _one_error(tmp_path, files, error, VALID_CFN if "/t." in next(iter(files)) else VALID_TF)
    assert any(word in found["message"] for word in ("nest", "unexpected", "syntax error")), found


def test_numbers_computed_too_long_to_print_break_nothing(tmp_path):
    # literals are bounded; arithmetic can still make a number str() refuses, and a message may name it
    big = " * ".join(["1" + "0" * 999] * 5)  # 4996 digits
    files = {"hostile/main.tf": tf_rule(big) + tf(f'"${{{big}}}"').replace('"g"', '"h"')
             + 'resource "aws_security_group_rule" "r" {\n  type = "ingress"\n  security_group_id = aws_security_group.h.id\n'
             f'  protocol = {big}\n  from_port = 22\n  to_port = 22\n  cidr_blocks = [{big}]\n}}\n'}
    report = scan_bounded(beside_valid(tmp_path, files))
    assert valid_findings(report) == expected()
    # the evaluation budget refuses numbers past 1024 bits: unknown, one note each where it was computed
    assert report["errors"] and all(e["file"] == "hostile/main.tf" and "is over the limit of 1024 bits; unknown"
                                    in e["message"] for e in report["errors"])


# -- a value nested as deep as is read must not break what walks it later -----------------------------
def _deep(depth: int, leaf: Any) -> Any:
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def _depth(value: Any) -> int:
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
    return 0 if children is None else 1 + max((_depth(child) for child in children), default=0)


def deepest_template() -> dict:
    """A template whose every section holds values nested as deep as the loader reads."""
    def template(extra: int) -> dict:
        ref = {"Ref": "Vpc"}
        return {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Parameters": {"P": {"Type": "String", "Default": _deep(extra, "x")}},
            "Mappings": {"M": {"a": {"b": _deep(extra, "x")}}},
            "Conditions": {"C": {"Fn::Equals": [_deep(extra, "x"), "y"]}},
            "Resources": {
                "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": _deep(extra, "10.0.0.0/16")}},
                "Group": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
                    "GroupDescription": _deep(extra, ref), "VpcId": _deep(extra, ref),
                    "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": _deep(extra, 22), "ToPort": 22,
                                              "CidrIp": _deep(extra, "0.0.0.0/0")}],
                    "Tags": [{"Key": "eice-checks:target", "Value": _deep(extra, "true")}]}},
                "Endpoint": {"Type": "AWS::EC2::InstanceConnectEndpoint", "Properties": {
                    "SubnetId": _deep(extra, ref), "SecurityGroupIds": _deep(extra, {"Fn::GetAtt": ["Group", "GroupId"]}),
                    "PreserveClientIp": _deep(extra, True)}},
                "Instance": {"Type": "AWS::EC2::Instance", "Properties": {
                    "SecurityGroupIds": _deep(extra, {"Ref": "Group"}), "SubnetId": _deep(extra, ref),
                    "NetworkInterfaces": [{"GroupSet": _deep(extra, "x")}]}},
            },
            "Outputs": {"O": {"Value": _deep(extra, ref), "Export": {"Name": _deep(extra, "n")}}},
        }
    extra = MAX_DEPTH
    while _depth(template(extra)) > MAX_DEPTH:
        extra -= 1
    return template(extra)


# Expressions as deep as the parser reads: nested calls, chains, for expressions, templates.
DEEPEST = {
    "nested": "max(" * 60 + "1" + ")" * 60,
    "chain": " + ".join(["1"] * (MAX_EXPRESSION_DEPTH - 1)),
    "fors": "[for a in [1] : " * 60 + "a" + "]" * 60,
    "template": '"${' * 60 + "1" + '}"' * 60,
}


def deepest_terraform() -> str:
    """DEEPEST as locals that a group uses, in blocks nested as deep as the reader reads."""
    blocks = "".join(f'{"  " * i}dynamic "d{i}" {{\n' for i in range(1, 99)) + "".join(f'{"  " * i}}}\n' for i in reversed(range(1, 99)))
    locals_ = "".join(f"  {name} = {source}\n" for name, source in DEEPEST.items())
    return (f'locals {{\n{locals_}}}\n\n'
            'resource "aws_security_group" "g" {\n  description = "${local.template}${local.chain}"\n'
            f'  ingress {{\n    protocol = "tcp"\n    from_port = local.nested\n    to_port = local.chain\n'
            f'    cidr_blocks = local.fors\n  }}\n{blocks}}}\n')


def _from_a_deep_stack(frames: int, call: Callable[[], Any]) -> Any:
    return call() if frames == 0 else _from_a_deep_stack(frames - 1, call)


def test_values_as_deep_as_is_read_are_walked_without_recursion_errors_even_from_a_deep_stack(tmp_path, monkeypatch):
    # The CLI may run inside another tool (cfn-lint, checkov) whose stack is already deep, and the
    # recursion limit is not ours to raise: what the loaders accept must be walkable from there.
    template = deepest_template()
    assert _depth(template) == MAX_DEPTH
    root = beside_valid(tmp_path, {"deep/t.json": json.dumps(template), "deep/t.yaml": json.dumps(template, indent=1),
                                   "deep/main.tf": deepest_terraform()}, VALID_TF)
    monkeypatch.chdir(root)
    frames = max(0, 400 - len(_stack()))
    report = _from_a_deep_stack(frames, lambda: run(["."], Config()))
    # read, then refused by the evaluation budget's nesting limit: unknown with a note, never a crash
    messages = [e.message for e in report.errors]
    assert messages and all(("over the limit of 64 levels" in m or "over the limits" in m) and "internal error" not in m
                            for m in messages), "\n".join(messages)
    assert {(f.rule, f.file, f.line) for f in report.findings if f.file.startswith("valid/")} == expected()
    # evaluation degrades what it cannot finish to Unknown, so look at the values themselves
    values = _from_a_deep_stack(frames, lambda: [evaluate_source(source, _NoScope()) for source in DEEPEST.values()])
    nested_lists: Any = 1
    for _ in range(60):
        nested_lists = [nested_lists]
    assert values == [1, MAX_EXPRESSION_DEPTH - 1, nested_lists, 1]  # "${x}" alone is x itself


def _stack() -> list:
    frame, frames = sys._getframe(), []
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    return frames


# -- parsing is linear --------------------------------------------------------------------------------
def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    """The result and the processor time it took (a shared machine's load does not count)."""
    started = time.process_time()
    result = call()
    return result, time.process_time() - started


def _megabytes(block: Callable[[int], str], megabytes: float = 5) -> str:
    parts, size, i = [], 0, 0
    while size < megabytes * 1_000_000:
        parts.append(block(i))
        size += len(parts[-1])
        i += 1
    return "".join(parts)


def _tf_group(i: int) -> str:
    return (f'resource "aws_security_group" "g{i}" {{\n  name   = "g{i}"\n  vpc_id = "vpc-0123456789abcdef0"\n'
            f'  ingress {{\n    from_port   = 22\n    to_port     = 22\n    protocol    = "tcp"\n'
            f'    cidr_blocks = ["10.{i // 256 % 256}.{i % 256}.0/24"]\n  }}\n}}\n\n')


def _cfn_group(i: int) -> str:
    return (f"  Group{i}:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: group {i}\n"
            f"      VpcId: !Ref Vpc\n      SecurityGroupIngress:\n        - IpProtocol: tcp\n          FromPort: 22\n"
            f"          ToPort: 22\n          CidrIp: 10.{i // 256 % 256}.{i % 256}.0/24\n")


def _cfn_json_group(i: int) -> str:
    return (f',\n    "Group{i}": {{"Type": "AWS::EC2::SecurityGroup", "Properties": {{\n      "GroupDescription": "group {i}",'
            f' "VpcId": {{"Ref": "Vpc"}},\n      "SecurityGroupIngress": [{{"IpProtocol": "tcp", "FromPort": 22,'
            f' "ToPort": 22, "CidrIp": "10.{i // 256 % 256}.{i % 256}.0/24"}}]}}}}')


YAML_HEAD = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Vpc:\n    Type: AWS::EC2::VPC\n    Properties: {CidrBlock: 10.0.0.0/16}\n"
JSON_HEAD = '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {\n    "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}'


@pytest.mark.parametrize("name, block, head, tail, valid", [
    ("big/main.tf", _tf_group, "", "", VALID_TF),
    ("big/template.yaml", _cfn_group, YAML_HEAD, "", VALID_CFN),
    ("big/template.json", _cfn_json_group, JSON_HEAD, "\n}}\n", VALID_CFN),
], ids=["tf", "yaml", "json"])
def test_a_5_mb_generated_source_scans_in_linear_time(tmp_path, monkeypatch, name, block, head, tail, valid):
    # Linear, not fast: 5 MB costs about ten times 0.5 MB (a quadratic step would make it a hundred).
    # Both are the child's processor time, so the machine's speed and load cancel out; how fast
    # it is on a given machine is benchmarks/bench.py's job. The wall clock only has to catch a hang.
    monkeypatch.setattr(bounded, "SECONDS", 120)
    seconds = {}
    for megabytes in (0.5, 5):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        text = head + _megabytes(block, megabytes) + tail
        report = scan_bounded(beside_valid(tmp_path / str(megabytes), {name: text}, valid))  # also: at most 500 MB
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds[megabytes] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        assert report["errors"] == [] and valid_findings(report) == expected(valid)
    print(f"{name}: {seconds[0.5]:.2f} s for 0.5 MB, {seconds[5]:.2f} s for 5 MB")  # pytest -s shows them
    assert seconds[5] < 25 * seconds[0.5], f"{name}: {seconds[5]:.1f} s for 5 MB, {seconds[0.5]:.1f} s for 0.5 MB"


@pytest.mark.parametrize("case, source, check", [
    # (sizes just under the evaluation budgets of eice_checks/limits.py: 100,000 elements, 1,000,000 characters)
    ("list of 90,000 elements", "[" + ", ".join(["1"] * 90_000) + "]", lambda v: len(v) == 90_000),
    ("object of 50,000 keys", "{\n" + "".join(f"  k{i} = {i}\n" for i in range(50_000)) + "}", lambda v: len(v) == 50_000),
    ("string of 900 KB", '"' + "a" * 900_000 + '"', lambda v: len(v) == 900_000),
    ("100,000 escapes", '"' + "\\n" * 100_000 + '"', lambda v: v == "\n" * 100_000),
    ("100,000 interpolations", '"' + "${1}x" * 100_000 + '"', lambda v: v == "1x" * 100_000),
    ("heredoc of 200,000 lines", "<<EOT\n" + "line\n" * 200_000 + "EOT", lambda v: v == "line\n" * 200_000),
    ("indented heredoc with 20,000 interpolations", "<<-EOT\n" + "  x ${1}\n" * 20_000 + "EOT",
     lambda v: v == "x 1\n" * 20_000),
    ("20,000 template directives", '"' + "%{ if true }a%{ endif }" * 20_000 + '"', lambda v: v == "a" * 20_000),
    ("100,000 comments", "1 " + "/* c */ " * 100_000, lambda v: v == 1),
], ids=lambda value: value if isinstance(value, str) and len(value) < 60 else None)
def test_long_expressions_are_read_in_linear_time(case, source, check):
    # quadratic work at these sizes would take many minutes; linear takes a second or two
    value, seconds = _timed(lambda: evaluate_source(source, _NoScope()))
    assert not isinstance(value, Unknown) and check(value), str(value)[:200]
    assert seconds < 10, f"{case}: {seconds:.1f} s"


def test_long_lines_and_many_attributes_are_read_in_linear_time():
    # every expression is parsed as its file is read; positions are counted in characters (é: 2 bytes)
    text = "".join(f"a{i} = {i}\n" for i in range(20_000)) + "x = [" + ", ".join(['"é"'] * 50_000) + "]\n"
    body, seconds = _timed(lambda: parse_file(text))
    assert len(body.attributes) == 20_001 and seconds < 10


class _NoScope:
    def resolve_root(self, name: str) -> Any:
        return Unknown(name)
