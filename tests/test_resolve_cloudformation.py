"""CloudFormation values as CloudFormation resolves them: conditions, mappings, parameters given on
the command line or in parameter files, and cross-stack imports of stack-name-built exports."""
from __future__ import annotations

import pytest

from eice_checks.adapters.cli import main
from eice_checks.analysis.paths import Analysis
from eice_checks.frontends.cloudformation.parameters import ParameterError, parse_parameters
from eice_checks.frontends.cloudformation.resolve import STACK_NAME, Exports
from eice_checks.scan import ScanInputs
from helpers import FIXTURES, expected_markers, found, scan

STACKS = FIXTURES / "resolve" / "cloudformation"
PARAMETERS = FIXTURES / "resolve" / "cfn_parameters"


def test_defaults_conditions_mappings_and_imports():
    report = scan(STACKS)
    assert report.errors == []
    assert {(r, f, line) for r, f, line, _ in found(report)} == expected_markers(STACKS)
    assert found(report) == {("EICE003", "app.yaml", 23, "App"), ("EICE008", "network.yaml", 43, "DebugEndpoint")}
    app = next(t for t in report.scanned.model.targets if t.address == "App")
    # !ImportValue !Sub "${NetworkStack}-PrivateSubnet" met the export named !Join [-, [AWS::StackName, PrivateSubnet]]
    assert app.subnets == ("network.yaml#PrivateSubnet",)
    endpoint = next(e for e in report.scanned.model.endpoints if e.address == "Endpoint")
    assert endpoint.preserve_client_ip is False  # !If [IsProd, true, false] with Environment = dev


@pytest.mark.parametrize("parameters", [
    [str(PARAMETERS / "aws-cli.json")],
    [f"file://{PARAMETERS / 'codepipeline.json'}"],
    ["Environment=prod", "NetworkStack=network-prod"],
])
def test_parameters_from_the_command_line_and_files(parameters):
    report = scan(STACKS, inputs=ScanInputs(parameters=parse_parameters(parameters)))
    # prod: preservation is on, so the public range matches; the conditional debug endpoint is not created
    assert found(report) == set()
    assert [e.address for e in report.scanned.model.endpoints] == ["Endpoint"]
    assert str(report.scanned.model.vpcs["network.yaml#Vpc"].cidrs[0]) == "10.120.0.0/16"


def test_bad_parameters_are_a_usage_error(capsys, monkeypatch, tmp_path):
    (tmp_path / "bad.json").write_text('{"Env": "prod"}')
    monkeypatch.chdir(STACKS)
    assert main(["--parameters", "Environment", "."]) == 2
    assert "--parameters takes KEY=VALUE or a JSON file, not 'Environment'" in capsys.readouterr().err
    with pytest.raises(ParameterError, match=r'expected \[\{"ParameterKey"'):
        parse_parameters([str(tmp_path / "bad.json")])


def test_stack_name_exports_match_only_when_unambiguous():
    exports = Exports()
    exports.add(f"{STACK_NAME}-VpcId", lambda: "vpc-a")
    exports.add("shared-SubnetId", lambda: "subnet-1")
    assert exports.find("network-prod-VpcId")() == "vpc-a"
    assert exports.find("shared-SubnetId")() == "subnet-1"
    assert exports.find("VpcId") is None
    exports.add(f"legacy-{STACK_NAME}-VpcId", lambda: "vpc-b")
    assert exports.find("legacy-network-VpcId") is None  # fits both patterns: ambiguous, so unknown


PREFIX_LISTS = FIXTURES / "resolve" / "cfn_prefix_list"


def test_rules_naming_prefix_lists_of_the_template_are_judged_by_their_cidrs():
    report = scan(PREFIX_LISTS)
    assert report.errors == []
    assert {(r, f, line) for r, f, line, _ in found(report)} == expected_markers(PREFIX_LISTS)
    assert found(report) == {("EICE003", "template.yaml", 72, "FailOfficeRanges"),
                             ("EICE005", "template.yaml", 127, "FailWorldOpen")}
    message = next(f.message for f in report.findings if f.rule == "EICE003")
    assert message.startswith("FailOfficeRanges (instance) admits tcp 22 from OfficePrefixList (198.51.100.0/24) for Endpoint, ")
    model = report.scanned.model
    assert {p.name: (p.complete, sorted(str(c) for c in p.cidrs)) for p in model.prefix_lists.values()} == {
        "PrivateSubnetsPrefixList": (True, ["10.90.10.0/24"]),
        "OfficePrefixList": (True, ["198.51.100.0/24", "203.0.113.0/24"]),
        "EndpointSourcesPrefixList": (True, ["10.90.1.0/24"]),  # named by !GetAtt ...PrefixListId
        "AnywherePrefixList": (True, ["0.0.0.0/0"]),
        "AdminsPrefixList": (False, ["192.0.2.0/24"]),  # an entry from a parameter without a value
    }
    paths = {p.target.address: p for p in Analysis(model).paths}
    assert sorted(paths) == ["FailOfficeRanges", "FailWorldOpen", "PassEndpointSubnet", "PassEntriesNotKnown"]
    assert all(p.egress[22] is True for p in paths.values())  # egress to a prefix list of the private subnet
    assert paths["PassEndpointSubnet"].admitted is True
    assert paths["PassEntriesNotKnown"].admitted is None


ASG_MIXED = FIXTURES / "resolve" / "cfn_asg_mixed_instances_policy"


def test_auto_scaling_groups_place_the_launch_templates_of_their_overrides_and_by_name():
    report = scan(ASG_MIXED)
    assert report.errors == []
    assert {(r, f, line) for r, f, line, _ in found(report)} == expected_markers(ASG_MIXED)
    assert found(report) == {("EICE001", "template.yaml", 44, "Endpoint")}
    model = report.scanned.model
    assert {t.address: t.subnets for t in model.targets} == {
        "FailBatch": ("template.yaml#BatchSubnet",),  # LaunchTemplateName
        "FailBatchArm64": ("template.yaml#BatchSubnet",),  # an override's LaunchTemplateSpecification
        "PassBastion": ("template.yaml#PublicSubnet",),
        "PassBastionArm64": ("template.yaml#PublicSubnet",),  # with a public address: no EICE003
    }
    assert {p.target.address: p.egress[22] for p in Analysis(model).paths} == {"FailBatch": False, "FailBatchArm64": False}
