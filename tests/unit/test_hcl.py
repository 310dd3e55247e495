"""Reading .tf structure with python-hcl2 (the `terraform` extra) in this environment."""
from __future__ import annotations

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


def test_blocks_attributes_and_lines():
    body = hcl.parse_file(SOURCE)
    assert hcl.BACKEND == "python-hcl2"
    variable, group = body.blocks
    assert (variable.type, variable.labels, variable.line) == ("variable", ["cidr"], 1)
    assert variable.body.attributes["default"] == hcl.Attribute("default", '"10.0.0.0/16"', 2)
    assert (group.type, group.labels, group.line) == ("resource", ["aws_security_group", "eice"], 5)
    assert group.body.attributes["vpc_id"] == hcl.Attribute("vpc_id", "aws_vpc.main.id", 6)
    (egress,) = group.body.blocks_of("egress")
    assert egress.line == 7
    assert egress.body.attributes["cidr_blocks"].source.replace(" ", "").replace("\n", "") == "[var.cidr,]"
    assert egress.body.attributes["cidr_blocks"].line == 9
    assert [(b.type, b.labels) for b in group.body.blocks] == [("egress", []), ("dynamic", ["ingress"])]


@pytest.mark.parametrize("text, line, message", [
    ('resource "a" "b" {\n  x = 1\n', 3, "unexpected end of file (an unclosed block, bracket or string?)"),
    ('resource "a" "b" {\n  x = [\n}\n', 3, "unexpected '}'"),
])
def test_syntax_errors_name_a_line(text, line, message):
    with pytest.raises(hcl.HclFileError) as error:
        hcl.parse_file(text)
    assert (error.value.line, error.value.message) == (line, message)


def test_without_any_hcl2_terraform_is_reported_as_skipped_with_the_install_command(monkeypatch, tmp_path):
    from helpers import scan

    monkeypatch.setitem(__import__("sys").modules, "hcl2", None)  # makes `import hcl2` fail
    monkeypatch.setattr(hcl, "_parse_tree", None)
    (tmp_path / "main.tf").write_text('resource "aws_vpc" "a" {\n  cidr_block = "10.0.0.0/16"\n}\n')
    report = scan(tmp_path)
    assert [(e.file, e.line, e.message) for e in report.errors] == [(
        ".", None, "Terraform files skipped: reading Terraform needs python-hcl2: pip install "
        "'eice-checks[terraform]' (inside checkov's environment checkov's own hcl2 is used; install nothing more there)")]
    assert report.scanned.read == 0
