"""The parsers' bounds, exactly at and past each one: nesting, tree depth, number length, YAML tags
and short forms; and the shortcuts that must build what the parser builds."""
from __future__ import annotations

import json
import time

import pytest

from eice_checks.frontends.cloudformation import load_template
from eice_checks.frontends.cloudformation.loader import MAX_DEPTH, TemplateError, load_json, load_yaml
from eice_checks.frontends.common import MAX_NUMBER_CHARS
from eice_checks.frontends.terraform.expressions.parser import _Parser, _plain, parse_expression, parsed
from eice_checks.frontends.terraform.expressions.syntax import MAX_DEPTH as TREE_DEPTH, MAX_NESTING, HclExpressionError
from eice_checks.frontends.terraform import hcl
from eice_checks.frontends.terraform.hcl import HclFileError, parse_file
from eice_checks.model.builder import normalize_ports
from eice_checks.model.values import shown

TOO_DEEP = "expression is nested too deeply"


def _syntax_error(src: str) -> HclExpressionError:
    with pytest.raises(HclExpressionError) as caught:
        parse_expression(src)
    return caught.value


@pytest.mark.parametrize("src", ['"abc"', '""', '"a b/c-d.e_é\t"', "22", "007", "true", "false", "null", "x", "var.x",
                                 "aws_security_group.app.id", "a-b.c-d", "local.é", "module.net.vpc_id"])
def test_plain_expressions_are_built_as_the_parser_builds_them(src):
    assert _plain(src) == _Parser(src).parse()


@pytest.mark.parametrize("src", ['"${x}"', '"a\\n"', '"%{if x}y%{endif}"', "1.5", "true.x", "x[0]", "a.0", "f(x)", " x",
                                 "a" + ".b" * TREE_DEPTH])
def test_anything_else_goes_through_the_parser(src):
    assert _plain(src) is None


def test_each_text_is_parsed_once_and_an_error_is_a_value():
    assert parsed("[1, 2]") is parsed("[1, 2]")
    assert isinstance(parsed("1 +"), HclExpressionError)


def test_number_literals_are_bounded_where_they_start():
    assert parse_expression("9" * MAX_NUMBER_CHARS).value == int("9" * MAX_NUMBER_CHARS)
    for src, offset in (("9" * (MAX_NUMBER_CHARS + 1), 0), ("x." + "1" * 5000, 2), ("[1, 2" + "0" * 5000 + "]", 4)):
        error = _syntax_error(src)
        assert (error.message, error.offset) == ("number longer than 1000 characters", offset)


def test_nesting_is_bounded_while_parsing_and_the_tree_after_it():
    assert parse_expression("(" * (MAX_NESTING - 1) + "1" + ")" * (MAX_NESTING - 1)).offset == 0
    assert _syntax_error("(" * MAX_NESTING + "1" + ")" * MAX_NESTING).message == TOO_DEEP
    chain = " + ".join(["1"] * TREE_DEPTH)  # a chain of n operands is n levels deep
    assert parse_expression(chain) is not None
    assert (_syntax_error(chain + " + 1").message, _syntax_error(chain + " + 1").offset) == (TOO_DEEP, 0)


def test_templates_and_heredocs_are_bounded_before_their_terminators_are_looked_for():
    assert _syntax_error('"${' * 200 + "1" + '}"' * 200).message == TOO_DEEP
    heredocs = "".join(f"<<E{i}\n${{" for i in range(5000)) + "1" + "".join(f"}}\nE{i}\n" for i in reversed(range(5000)))
    started = time.perf_counter()
    assert _syntax_error(heredocs).message == TOO_DEEP
    assert time.perf_counter() - started < 2  # not one scan of the rest of the text per heredoc


def test_syntax_error_messages_quote_a_short_excerpt():
    assert _syntax_error("a " + "b" * 5000).message == f"unexpected identifier '{'b' * 40}…', expected the end of the expression"
    assert _syntax_error("<<" + "M" * 5000 + "\nx\n").message == f"unterminated heredoc, expected {'M' * 64}…"
    assert _syntax_error("1 \x1b 2").message == "unexpected character '\\x1b'"


def test_an_expression_that_does_not_parse_is_its_files_error_at_its_place():
    text = 'resource "a" "b" {\n  x = [\n    1,\n    ' + "(" * 70 + "1" + ")" * 70 + ',\n  ]\n}\n'
    with pytest.raises(HclFileError) as error:
        parse_file(text)
    assert (error.value.line, error.value.column, error.value.message) == (4, 4 + MAX_NESTING, TOO_DEEP)  # 65 deep there
    with pytest.raises(HclFileError) as error:
        parse_file('a = "é"\nb = [\n  "é", ' + "9" * 2000 + "\n]\n")
    assert (error.value.line, error.value.column) == (3, 8)  # columns count characters
    with pytest.raises(HclFileError) as error:
        parse_file('é = ["é", ' + "9" * 2000 + "]\n")
    assert (error.value.line, error.value.column, error.value.message) == (1, 11, "number longer than 1000 characters")


# -- CloudFormation ------------------------------------------------------------------------------------
def _yaml_error(text: str) -> tuple[int, str]:
    with pytest.raises(TemplateError) as error:
        load_yaml(text)
    return error.value.line, error.value.message


def _json_error(text: str) -> tuple[int, str]:
    with pytest.raises(TemplateError) as error:
        load_json(text)
    return error.value.line, error.value.message


def test_depth_is_read_up_to_the_limit_and_refused_past_it():
    assert load_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    assert load_yaml("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    assert _json_error("\n" + "[" * (MAX_DEPTH + 1)) == (2, "invalid JSON: nested more than 128 levels deep")
    assert _yaml_error("a:\n  " + "[" * MAX_DEPTH) == (2, "nested more than 128 levels deep")
    # a short form is a mapping of its own: !If [...] is two levels
    half = MAX_DEPTH // 2
    assert _yaml_error("!Not [" * (half + 1) + "x" + "]" * (half + 1)) == (1, "nested more than 128 levels deep")
    assert load_yaml("!Not [" * half + "x" + "]" * half) is not None


def test_numbers_are_read_up_to_the_limit_and_refused_past_it():
    digits = "9" * MAX_NUMBER_CHARS
    assert load_json(f"[{digits}]") == [int(digits)] and load_yaml(f"- {digits}") == [int(digits)]
    assert _json_error(f"[\n{digits}9]") == (2, "invalid JSON: number longer than 1000 characters")
    assert _yaml_error(f"a:\n  - {digits}9") == (2, "number longer than 1000 characters")
    assert _yaml_error("a: 0x" + "f" * MAX_NUMBER_CHARS) == (1, "number longer than 1000 characters")


def test_yaml_scalars_convert_as_pyyaml_converts_them():
    doc = load_yaml("a: 0x1F\nb: 1_000\nc: 1:30\nd: !!float 1\ne: !!bool yes\nf: !!str 12\ng: ~\nh: 2010-09-09\n"
                    "i: '12'\nj: ! 12\n7: k\nl: !!int '42'\nm: .inf\n")
    assert doc == {"a": 31, "b": 1000, "c": 90, "d": 1.0, "e": True, "f": "12", "g": None, "h": "2010-09-09", "i": "12",
                   "j": 12, "7": "k", "l": 42, "m": float("inf")}
    assert doc.line_of("l") == 12


def test_yaml_documents_and_keys():
    assert load_yaml("") is None and load_yaml("# only a comment\n") is None
    assert _yaml_error("a: 1\n---\nb: 2\n") == (2, "invalid YAML: expected a single document in the stream: but found another document")
    assert _yaml_error("? [a]\n: 1\n") == (1, "mapping keys must be plain scalars")
    assert _yaml_error("a: !Ref\n  - x\n  - y\n") == (1, "!Ref takes a scalar, not a list of 2")
    assert _yaml_error("a: !!set {x}\n") == (1, "YAML tag tag:yaml.org,2002:set is not allowed in a CloudFormation template")


@pytest.mark.parametrize("value, message", [
    ("!FindInMap [A, B]", "!FindInMap takes a list of 3 to 4, not a list of 2"),
    ("!And [a]", "!And takes a list of 2 to 10, not a list of 1"),
    ("!Select x", "!Select takes a list of 2, not 'x'"),
    ("!Condition [a]", "!Condition takes a scalar, not a list of 1"),
])
def test_short_forms_of_a_shape_cloudformation_rejects(value, message):
    assert _yaml_error(f"a: {value}\n") == (1, message)


@pytest.mark.parametrize("value", ["!Base64 {Fn::Sub: x}", "!GetAZs ''", "!ImportValue {Fn::Sub: x}", "!FindInMap [A, B, C, {DefaultValue: d}]",
                                   "!Sub [x, {a: b}]", "!GetAtt A.B.C", "!Transform {Name: x}", "!Length [a]"])
def test_short_forms_of_every_shape_cloudformation_accepts(value):
    assert load_yaml(f"a: {value}\n")["a"]


def test_a_resource_without_a_type_is_the_templates_error():
    template = {"Resources": {"Vpc": {"Type": "AWS::EC2::VPC"}, "Fn::ForEach::Subnets": ["x", [], {}],
                              "Odd": {"Type": {"Ref": "X"}}}}
    with pytest.raises(TemplateError) as error:
        load_template("t.json", json.dumps(template, indent=1))
    assert (error.value.line, error.value.message) == (11, "resource Odd has no Type")
    del template["Resources"]["Odd"]
    assert load_template("t.json", json.dumps(template)) is not None


# -- numbers too long for str() ------------------------------------------------------------------------
def test_numbers_too_long_for_str_are_named_by_their_size():
    assert shown(10 ** 5000) == "a number of 5000 digits" and shown(65535) == "65535" and shown(True) == "True"
    assert normalize_ports("tcp", "9" * 5000, "22") is None and normalize_ports("tcp", "²", "22") is None


# -- large Terraform files are read a piece at a time ---------------------------------------------------
def _structure(body) -> list[tuple]:
    found, stack = [], [("", body)]
    while stack:
        path, current = stack.pop()
        found += [(path, name, a.source, a.line, a.column) for name, a in current.attributes.items()]
        for index, block in enumerate(current.blocks):
            found.append((path, block.type, tuple(block.labels), block.line, block.column))
            stack.append((f"{path}/{index}", block.body))
    return found


def _whole(text: str):
    data = text.encode()
    return hcl._Reader(data, text).file_body(hcl._parse(data).root_node)


def _blocks(count: int) -> str:
    return "".join(f'resource "aws_security_group" "é{i}" {{\n  name = "é{i}"\n  policy = <<EOT\n{{\n  "a": {i}\n}}\nEOT\n'
                   f'  ingress {{\n    cidr_blocks = ["10.0.{i % 256}.0/24"]\n  }}\n}}\n\ny{i} = {i}\n' for i in range(count))


def test_a_large_file_is_read_a_piece_at_a_time_as_if_whole():
    text = _blocks(8000)  # about 1.4 MB: three pieces
    assert len(text.encode()) > 2 * hcl._PIECE
    assert _structure(parse_file(text)) == _structure(_whole(text))


def test_a_piece_that_does_not_parse_alone_grows_until_it_does_or_shows_the_error():
    # a heredoc full of lines "}" where a piece would end; then an error past the first piece
    text = _blocks(3000) + "z = <<EOT\n" + "x\n}\n" * 200_000 + "EOT\n" + _blocks(100)
    assert _structure(parse_file(text)) == _structure(_whole(text))
    broken = _blocks(6000) + 'resource "x" "y" {\n  a = [\n}\n' + _blocks(10)
    with pytest.raises(HclFileError) as error:
        parse_file(broken)
    assert (error.value.line, error.value.message) == (_blocks(6000).count("\n") + 3, "unexpected '}'")


def test_a_top_level_block_too_large_to_parse_is_not_read():
    text = 'resource "a" "b" {\n}\n' * 10 + "x = [\n" + "1,\n" * (hcl._MAX_PIECE // 3 + 1) + "]\n"
    with pytest.raises(HclFileError) as error:
        parse_file(text)  # not parsed: its tree would take some 400 MB
    assert (error.value.line, error.value.message) == (21, "not read: a top-level block larger than 4 MiB")
