"""Configurations that work, or that cannot be judged from the sources, must yield no finding.

Each folder under tests/fixtures/precision is a pattern from real repositories that once produced a
false error: rules added from outside a group's own resource (registry modules, nested stacks,
rules stacks, ignore_changes), catch-all internal rules and directly reachable bastions taken for
endpoint targets, VPC ranges associated elsewhere, the same endpoint seen twice (a plan beside its
source, a SAM build copy), dynamic references, conditional rules, transforms, override files,
modules with a file or variables file that could not be read, and endpoints whose count or
condition cannot be evaluated.
"""
from __future__ import annotations

import pytest

from eice_checks.adapters.cli import main
from helpers import FIXTURES, expected_markers, found, scan

PRECISION = FIXTURES / "precision"
UNREADABLE = {  # folders holding a file that cannot be read on purpose: reported, and nothing concluded
    "tf_unparsable_file_in_module": [("rules.tf", "invalid HCL: unexpected end of file (an unclosed block, bracket or string?)")],
    "tf_unreadable_tfvars": [("terraform.tfvars", "skipped: not UTF-8 text (byte 0xE9); save it as UTF-8")],
}


@pytest.mark.parametrize("folder", sorted(p.name for p in PRECISION.iterdir()))
def test_no_error_or_warning(folder):
    report = scan(PRECISION / folder)
    assert [(f.rule, f.file, f.line, f.resource) for f in report.findings if f.severity != "info"] == []
    assert [(e.file, e.message) for e in report.errors] == UNREADABLE.get(folder, [])


@pytest.mark.parametrize("folder, expected", [
    ("tf_endpoint_count_not_known", {("EICE007", "main.tf", 41, "aws_ec2_instance_connect_endpoint.fail_main")}),
    ("cfn_endpoint_condition_not_known", {("EICE007", "template.yaml", 31, "FailSharedEndpoint")}),
])
def test_an_endpoint_that_may_not_exist_is_not_judged_by_any_rule(folder, expected):
    # the count / Condition depends on a variable without a value or a data source: no EICE004,
    # EICE006 or EICE007 on it, while the endpoint that certainly exists still gets its note
    report = scan(PRECISION / folder)
    assert found(report) == expected
    assert {(r, f, line) for r, f, line, _ in found(report)} == expected_markers(PRECISION / folder)


def test_one_file_of_a_module_is_read_with_its_directory(capsys, monkeypatch):
    monkeypatch.chdir(PRECISION / "tf_rules_in_another_file")
    assert main(["main.tf"]) == 0  # rules.tf beside it holds the ingress rule
    assert "2 files scanned" in capsys.readouterr().out


BASE_TF = """
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_subnet" "a" {
  vpc_id                  = aws_vpc.main.id
  cidr_block              = "10.0.1.0/24"
  map_public_ip_on_launch = true
}
resource "aws_security_group" "eice" {
  vpc_id = aws_vpc.main.id
  egress {
    from_port       = 22
    to_port         = 22
    protocol        = "tcp"
    security_groups = [aws_security_group.app.id]
  }
}
resource "aws_ec2_instance_connect_endpoint" "this" {
  subnet_id          = aws_subnet.a.id
  security_group_ids = [aws_security_group.eice.id]
  preserve_client_ip = false
}
resource "aws_security_group" "app" {
  vpc_id = aws_vpc.main.id
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  LIFECYCLE
}
resource "aws_instance" "app" {
  ami                         = "ami-1"
  instance_type               = "t3.micro"
  subnet_id                   = aws_subnet.a.id
  associate_public_ip_address = false
  vpc_security_group_ids      = [aws_security_group.app.id]
}
"""


@pytest.mark.parametrize("lifecycle, expected", [
    ("", {("EICE005", 30)}),
    ("lifecycle {\n    ignore_changes = [tags_all]\n  }", {("EICE005", 30)}),  # not about rules
    ("lifecycle {\n    ignore_changes = [ingress]\n  }", {("EICE005", 30)}),  # the world-open rule is still there
])
def test_only_ignored_rule_changes_make_a_group_not_fully_known(tmp_path, lifecycle, expected):
    (tmp_path / "main.tf").write_text(BASE_TF.replace("LIFECYCLE", lifecycle))
    assert {(f.rule, f.line) for f in scan(tmp_path).findings} == expected


def test_an_explicit_no_public_ip_overrides_the_subnet_default(tmp_path):
    # The endpoint sends SSH to the VPC; the app admits SSH from a public range only. In a subnet that
    # maps public IPs it is a bastion reached directly, unless it says it gets no public address.
    text = (BASE_TF.replace("LIFECYCLE", "")
            .replace('cidr_blocks = ["0.0.0.0/0"]', 'cidr_blocks = ["198.51.100.0/24"]')
            .replace("security_groups = [aws_security_group.app.id]", 'cidr_blocks     = ["10.0.0.0/16"]'))
    (tmp_path / "main.tf").write_text(text)
    assert {(f.rule, f.line) for f in scan(tmp_path).findings} == {("EICE003", 30)}
    (tmp_path / "main.tf").write_text(text.replace("associate_public_ip_address = false\n", ""))
    assert scan(tmp_path).findings == []
