"""Terraform's type system for variables, and plans read as fully as their source: cases the
differential harness (scripts/fidelity) found, minimised. Each plan.json was made once by Terraform
1.11.4 with the AWS provider 5.100.0 (offline, fake credentials, -refresh=false) from the .tf and
.tfvars beside it; CI needs no Terraform."""
from __future__ import annotations

import shutil

import pytest

from helpers import FIXTURES, found, scan

CASES = FIXTURES / "fidelity"
SOURCE = {
    # "true"/"22" in terraform.tfvars are a bool and a number: the endpoint exists, the rule is on 22
    "tfvars_strings_for_bool_and_number": {("EICE003", "main.tf", 53, "aws_instance.app")},
    # null for a nullable = false variable is its default ("udp"): no SSH out
    "nullable_false_falls_back": {("EICE001", "main.tf", 38, "aws_ec2_instance_connect_endpoint.this")},
    # optional(number, 443): an absent or null attribute is 443, not null
    "optional_attribute_defaults": {("EICE002", "main.tf", 60, "aws_instance.app")},
    # a set(string) loses its duplicate: two instances, both in the group without SSH (one finding)
    "set_variable_dedupes": {("EICE002", "main.tf", 61, "aws_instance.app")},
    # 8080 fails the variable's validation: Terraform rejects the plan, the port is unknown
    "validation_failure_is_unknown": set(),
}
# A plan points at the resource's block, the source at the attribute that decides.
BESIDE = {
    "tfvars_strings_for_bool_and_number": {("EICE003", "main.tf", 47, "aws_instance.app")},
    "nullable_false_falls_back": {("EICE001", "main.tf", 36, "aws_ec2_instance_connect_endpoint.this")},
    "optional_attribute_defaults": {("EICE002", "main.tf", 56, "aws_instance.app")},
    "set_variable_dedupes": {("EICE002", "main.tf", 56, "aws_instance.app")},
}
# A plan alone does not record whether a list of new groups' ids also holds literal ids: the
# instances' groups are not fully known, so nothing is concluded about their ingress.
ALONE = {
    "tfvars_strings_for_bool_and_number": set(),
    "nullable_false_falls_back": {("EICE001", "plan.json", 12, "aws_ec2_instance_connect_endpoint.this")},
    "optional_attribute_defaults": set(),
    "set_variable_dedupes": set(),
}


def _copy(case: str, tmp_path, suffixes: tuple[str, ...]):
    for path in (CASES / case).iterdir():
        if path.suffix in suffixes:
            shutil.copy(path, tmp_path / path.name)
    return tmp_path


@pytest.mark.parametrize("case", sorted(SOURCE))
def test_source(case, tmp_path):
    report = scan(_copy(case, tmp_path, (".tf", ".tfvars")))
    assert report.errors == []
    assert found(report) == SOURCE[case]


@pytest.mark.parametrize("case", sorted(BESIDE))
def test_plan_beside_its_source(case):
    report = scan(CASES / case)
    assert report.errors == []
    assert found(report) == BESIDE[case]


@pytest.mark.parametrize("case", sorted(ALONE))
def test_plan_alone(case, tmp_path):
    report = scan(_copy(case, tmp_path, (".json",)))
    assert report.errors == []
    assert found(report) == ALONE[case]
