"""A Terraform plan beside its .tf files costs time linear in their size: resources are matched to
their declarations and references to planned instances by address, not by going through all of
them each time (tests/bounded.py: within 10 s and 500 MB, the valid module beside still reported)."""
from __future__ import annotations

import json

from bounded import beside_valid, expected, notes, scan_bounded, valid_findings

GROUPS = 4_000  # and as many instances: going through all for each took over 10 s


def planned_resource(resource_type: str, name: str, values: dict) -> dict:
    return {"address": f"{resource_type}.{name}", "mode": "managed", "type": resource_type, "name": name,
            "values": values}


def plan(groups: int) -> str:
    """Groups that exist (real ids), and as many instances about to be created in them: each
    instance's groups are known only after apply, resolved from the configuration's references."""
    resources, changes, configured = [], [], []
    for i in range(groups):
        resources.append(planned_resource("aws_security_group", f"g{i}", {"id": f"sg-{i:017x}", "vpc_id": "vpc-1"}))
        resources.append(planned_resource("aws_instance", f"i{i}", {"ami": "ami-12345678"}))
        changes.append({"address": f"aws_instance.i{i}", "change": {"after_unknown": {"vpc_security_group_ids": True}}})
        configured.append({"address": f"aws_instance.i{i}", "mode": "managed", "type": "aws_instance", "name": f"i{i}",
                           "expressions": {"vpc_security_group_ids": {
                               "references": [f"aws_security_group.g{i}.id", f"aws_security_group.g{i}"]}}})
    return json.dumps({"format_version": "1.2", "planned_values": {"root_module": {"resources": resources}},
                       "resource_changes": changes, "configuration": {"root_module": {"resources": configured}}})


def test_a_plan_beside_its_configuration_is_read_in_linear_time(tmp_path):
    # One-line blocks: no line of the file starts with "}", where a declaration used to be looked for
    # up to the end of the file, for each of them.
    source = "".join(f'resource "aws_security_group" "g{i}" {{ vpc_id = "vpc-1" }}\n'
                     f'resource "aws_instance" "i{i}" {{ vpc_security_group_ids = [aws_security_group.g{i}.id] }}\n'
                     for i in range(1, GROUPS))
    # and one block with many blank lines: whether its attribute holds a literal is looked up line by
    # line, not from each line over all the blank lines after it
    source += ('resource "aws_security_group" "g0" {}\nresource "aws_instance" "i0" {' + "\n" * 200_000
               + '  ami = "ami-12345678"\n  vpc_security_group_ids = [aws_security_group.g0.id]\n}\n')
    report = scan_bounded(beside_valid(tmp_path, {"planned/main.tf": source, "planned/plan.json": plan(GROUPS)}))
    assert valid_findings(report) == expected()
    assert notes(report) == []
