"""Real-world source layouts: CDK output, a Terraform module over several files, cross-stack imports."""
from __future__ import annotations

import pytest

from helpers import FIXTURES, expected_markers, found, scan

SOURCES = FIXTURES / "sources"


@pytest.mark.parametrize("name", ["terraform_module", "cross_stack"])
def test_findings_are_exactly_the_marked_ones(name):
    report = scan(SOURCES / name)
    assert report.errors == []
    assert {(rule, file, line) for rule, file, line, _ in found(report)} == expected_markers(SOURCES / name)


def test_terraform_module_values_resolve_through_variables_locals_and_functions():
    report = scan(SOURCES / "terraform_module")
    assert found(report) == {("EICE003", "app.tf", 32, "aws_instance.reports")}
    (finding,) = report.findings
    # count = 1 resources are named as Terraform prints them
    assert "aws_ec2_instance_connect_endpoint.this[0]" in finding.message
    assert "aws_security_group.eice[0]" in finding.message
    subnet = next(s for s in report.scanned.model.subnets.values() if s.name == "aws_subnet.private")
    assert str(subnet.cidr_v4) == "10.20.1.0/24"  # cidrsubnet(var.vpc_cidr, 8, 1)


def test_cross_stack_imports_resolve_including_sub_built_export_names():
    report = scan(SOURCES / "cross_stack")
    assert found(report) == {("EICE002", "app/app.yaml", 32, "Windows")}
    app = next(t for t in report.scanned.model.targets if t.address == "App")
    assert app.security_groups.keys == ("app/app.yaml#AppSg",)
    assert app.vpc == "network/network.template#Vpc"


def test_cdk_output_is_read_as_json_templates():
    report = scan(FIXTURES / "cdk")
    assert report.errors == []
    assert found(report) == {("EICE003", "cdk.out/AppStack.template.json", 47, "AppInstance5D7B3F38")}
    assert report.scanned.read == 1  # manifest.json and tree.json are not templates
