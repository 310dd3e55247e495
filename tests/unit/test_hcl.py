"""Reading .tf structure with tree-sitter-hcl: blocks, labels, attributes, positions, syntax errors."""
from __future__ import annotations

import sys
import time

import pytest

from eice_checks.frontends.terraform import hcl

SOURCE = '''\
variable "cidr" {
  default = "10.0.0.0/16"
}

resource "aws_security_group" "eice" {
  vpc_id = aws_vpc.main.id  # a comment
  egress {
    protocol    = "tcp"
    cidr_blocks = [
      var.cidr,
    ]
  }
  dynamic "ingress" {
    for_each = []
    content {}
  }
}
'''


def test_blocks_attributes_and_positions():
    body = hcl.parse_file(SOURCE)
    variable, group = body.blocks
    assert (variable.type, variable.labels, variable.line, variable.column) == ("variable", ["cidr"], 1, 1)
    assert variable.body.attributes["default"] == hcl.Attribute("default", '"10.0.0.0/16"', 2)
    assert variable.body.attributes["default"].column == 3
    assert (group.type, group.labels, group.line) == ("resource", ["aws_security_group", "eice"], 5)
    assert group.body.attributes["vpc_id"] == hcl.Attribute("vpc_id", "aws_vpc.main.id", 6)
    (egress,) = group.body.blocks_of("egress")
    assert (egress.line, egress.column) == (7, 3)
    assert egress.body.attributes["cidr_blocks"].source.replace(" ", "").replace("\n", "") == "[var.cidr,]"
    assert egress.body.attributes["cidr_blocks"].line == 9
    assert [(b.type, b.labels) for b in group.body.blocks] == [("egress", []), ("dynamic", ["ingress"])]


def test_columns_count_characters_not_bytes():
    body = hcl.parse_file('resource "a" "b" {\n  /* ééé */ x = 1\n  y = 2\n}\n')
    (resource,) = body.blocks
    assert (resource.body.attributes["x"].column, resource.body.attributes["y"].column) == (13, 3)


def test_files_python_hcl2_rejected_or_misread():
    text = (
        'resource "aws_security_group" /* the endpoint */ "eice" {\n'  # a comment between labels
        '  description = <<EOT\n'
        'spans lines\n'
        'EOT   \n'  # closing marker with trailing spaces
        '  name = "eice"\n'
        '}\n'
        'locals {\n'
        '  größe = 2\n'  # a non-ASCII identifier
        '}\n'
    )
    body = hcl.parse_file(text)
    resource, local_block = body.blocks
    assert resource.labels == ["aws_security_group", "eice"]
    assert resource.body.attributes["description"].source == "<<EOT\nspans lines\nEOT"
    assert (resource.body.attributes["name"].source, resource.body.attributes["name"].line) == ('"eice"', 5)
    assert list(local_block.body.attributes) == ["größe"]


def test_numbers_with_an_exponent_and_no_fraction_are_read():
    # Terraform accepts 1e5; tree-sitter-hcl does not, so such numbers are read as 1.0e5.
    body = hcl.parse_file('locals {\n  big = 1e5\n  text = "1e5"\n}\nresource "a" "b" {\n  x = 2\n}\n')
    local_block, resource = body.blocks
    assert local_block.body.attributes["big"].source == "1.0e5"
    assert local_block.body.attributes["text"].source == '"1e5"'
    assert resource.line == 5


@pytest.mark.parametrize("text, line, column, message", [
    ('resource "a" "b" {\n  x = 1\n', 2, None, "unexpected end of file (an unclosed block, bracket or string?)"),
    ('resource "a" "b" {\n  x = [\n}\n', 3, 1, "unexpected '}'"),
    ('a = 1\n\nb = {\n c = 1\n d = [1, 2,, 3]\n}\n', 5, 12, "unexpected ','"),
    ('x = "é" \ny = $$$\n', 2, 5, "unexpected '$'"),
])
def test_syntax_errors_name_a_line_and_column(text, line, column, message):
    with pytest.raises(hcl.HclFileError) as error:
        hcl.parse_file(text)
    assert (error.value.line, error.value.column, error.value.message) == (line, column, message)


def test_error_messages_quote_only_a_short_escaped_excerpt():
    secret = "A" * 200
    with pytest.raises(hcl.HclFileError) as error:
        hcl.parse_file(f'x = 1\n  y = \x1b[31m{secret}\n')
    assert secret not in error.value.message and len(error.value.message) < 60
    assert "\x1b" not in error.value.message


def _generated(resources: int) -> str:
    block = ('resource "aws_security_group" "g{0}" {{\n  name = "g{0}"\n  ingress {{\n    from_port   = 22\n'
             '    to_port     = 22\n    protocol    = "tcp"\n    cidr_blocks = [var.x, "10.0.0.0/8"]\n  }}\n}}\n')
    return "".join(block.format(i) for i in range(resources))


def test_a_large_file_with_an_error_is_located_precisely():
    text = _generated(3000)  # about 600 KB: past the size parsed in one unwatched call
    cut = text.index('resource "aws_security_group" "g2000"')
    text = text[:cut] + 'resource "x" "y" {\n  a = [\n}\n' + text[cut:]
    with pytest.raises(hcl.HclFileError) as error:
        hcl.parse_file(text)
    line = text[:cut].count("\n") + 3
    assert (error.value.line, error.value.column, error.value.message) == (line, 1, "unexpected '}'")


def test_garbage_stops_at_the_first_error_quickly():
    text = "{[(=\"" * 200_000  # 1 MB that error recovery would chew on for seconds and hundreds of MB
    started = time.perf_counter()
    with pytest.raises(hcl.HclFileError) as error:
        hcl.parse_file(text)
    assert error.value.line == 1
    assert time.perf_counter() - started < 5  # a generous bound on a bounded operation, not a benchmark


def test_a_broken_install_is_one_clear_error_not_a_traceback(monkeypatch, tmp_path):
    from helpers import scan

    monkeypatch.setitem(sys.modules, "tree_sitter_hcl", None)  # makes the import fail
    monkeypatch.setattr(hcl, "_parser", None)
    (tmp_path / "main.tf").write_text('resource "aws_vpc" "a" {\n  cidr_block = "10.0.0.0/16"\n}\n')
    report = scan(tmp_path)
    assert [(e.file, e.line) for e in report.errors] == [(".", None)]
    assert report.errors[0].message.startswith("Terraform files skipped: reading Terraform needs tree-sitter")
    assert report.scanned.read == 0


def test_no_hcl2_module_is_imported(tmp_path):
    from helpers import scan

    (tmp_path / "main.tf").write_text('resource "aws_vpc" "a" {\n  cidr_block = "10.0.0.0/16"\n}\n')
    scan(tmp_path)
    assert "hcl2" not in sys.modules and "lark" not in sys.modules
