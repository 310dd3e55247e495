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
    # the instance reaches the endpoint (the inline rule names its group): nothing to report
    "plan_alone_inline_rules_and_variables": set(),
    # out/plan.json and main.tf describe one endpoint: not two in one VPC
    "plan_in_a_subdirectory": set(),
    # network ACLs: one forgot the replies (inline entries, subnet_ids); one denies SSH before it
    # allows it (rule resources and an association known only after apply, which the plan lists
    # without any "values"); the adopted default ACL allows the third subnet's path
    "network_acls": {("EICE009", "main.tf", 45, "aws_instance.app[0]"),
                     ("EICE009", "main.tf", 68, "aws_instance.app[1]")},
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


def test_plan_alone_resolves_inline_peers_and_root_variables(tmp_path):
    """Without its source: an inline rule's peer known only after apply comes from the group's
    references (the one field unknown); a root variable's ids from the values the plan records. The
    instance's list may still hold literal ids the plan does not record: not fully known."""
    shutil.copy(PLANS / "plan_alone_inline_rules_and_variables" / "plan.json", tmp_path / "plan.json")
    model = scan(tmp_path).scanned.model
    app = next(g for g in model.security_groups.values() if g.name == "aws_security_group.app")
    peers = {(r.ports, r.peer.kind, r.peer.label) for r in app.ingress}
    assert peers == {((443, 443), "cidr", "0.0.0.0/0"), ((22, 22), "sg", "aws_security_group.eice"),
                     ((22, 22), "unknown", "an unresolved value")}
    (instance,) = model.targets
    assert instance.security_groups.keys == ("plan.json#aws_security_group.app", "sg-0123456789abcdef0")
    assert not instance.security_groups.complete


def test_plan_alone_judges_network_acls(tmp_path):
    """Without the source: ACL ids, subnet ids and associations known only after apply come from the
    configuration's references; findings point at the plan file."""
    shutil.copy(PLANS / "network_acls" / "plan.json", tmp_path / "plan.json")
    assert {(rule, file, resource) for rule, file, _, resource in found(scan(tmp_path))} == {
        ("EICE009", "plan.json", "aws_instance.app[0]"), ("EICE009", "plan.json", "aws_instance.app[1]")}
