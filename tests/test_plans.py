"""Terraform plans as Terraform writes them (`terraform show -json`, Terraform 1.11 with the AWS
provider 5.100, planned offline with fake credentials), each beside the configuration it came from.
A plan must agree with its source: the same findings on the same resources."""
from __future__ import annotations

import shutil

import pytest

from helpers import FIXTURES, found, scan

PLANS = FIXTURES / "plans"
EXPECTED = {
    # the subnet's IPv6 range is computed: it exists after apply, so the endpoint is dualstack
    "computed_ipv6_subnet": {("EICE006", "main.tf", 32, "aws_ec2_instance_connect_endpoint.this")},
    # x[each.key].id read back per instance
    "for_each_instances": {("EICE001", "main.tf", 40, 'aws_ec2_instance_connect_endpoint.this["a"]'),
                           ("EICE001", "main.tf", 40, 'aws_ec2_instance_connect_endpoint.this["b"]')},
    # a shared group's literal id beside a new group's: the plan's references omit it, the source shows it
    "literal_ids_beside_new_groups": set(),
    # beside its source: the endpoint's group through a local, its subnet by element() over a splat;
    # the egress rule's peers the plan records as null are no rules (192.0.2.0/24 is not the VPC)
    "locals_splats_and_null_peers": {("EICE001", "main.tf", 38, "aws_ec2_instance_connect_endpoint.this")},
    # out/plan.json and main.tf describe one endpoint: not two in one VPC
    "plan_in_a_subdirectory": set(),
}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_plan_findings(case):
    report = scan(PLANS / case)
    assert report.errors == []
    assert found(report) == EXPECTED[case]


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_plan_agrees_with_its_source(case, tmp_path):
    for path in (PLANS / case).iterdir():
        if path.suffix in (".tf", ".tfvars"):
            shutil.copy(path, tmp_path / path.name)
    from_source = {(rule, resource) for rule, _, _, resource in found(scan(tmp_path))}
    assert {(rule, resource) for rule, _, _, resource in found(scan(PLANS / case))} == from_source
