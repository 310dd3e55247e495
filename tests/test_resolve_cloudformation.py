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
JOINED_LISTS = FIXTURES / "resolve" / "cfn_joined_list_exports"
DUALSTACK = FIXTURES / "resolve" / "dualstack_endpoint_both_tools"
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


def test_lists_exported_as_joined_text_keep_each_element():
    # network.yaml exports subnet and security group lists as !Join [",", [!Ref A, !Ref B]]; app.yaml
    # takes them apart with !Select [i, !Split [",", !ImportValue ...]] or uses the !Split as a list
    report = scan(JOINED_LISTS)
    assert report.errors == []
    assert {(r, f, line) for r, f, line, _ in found(report)} == expected_markers(JOINED_LISTS)
    assert found(report) == {("EICE002", "app.yaml", 40, "FailApp")}
    model = report.scanned.model
    (endpoint,) = model.endpoints
    assert endpoint.subnet == "network.yaml#PrivateSubnetB"  # element 1 of the joined subnet list
    targets = {t.address: t for t in model.targets}
    assert targets["FailApp"].subnets == ("network.yaml#PrivateSubnetA",)
    assert targets["FailApp"].security_groups.keys == ("network.yaml#BaselineSshSg", "network.yaml#BaselineMonitoringSg")
    assert targets["FailApp"].security_groups.complete
    assert targets["PassWorkerTemplate"].subnets == ("network.yaml#PrivateSubnetA", "network.yaml#PrivateSubnetB")
    # the partner's group is a parameter without a value: that element stays unknown, the list is not complete
    assert targets["PassPartnerAgent"].security_groups.keys == ("network.yaml#BaselineMonitoringSg",)
    assert targets["PassPartnerAgent"].security_groups.complete is False


def test_a_dualstack_endpoint_is_fixed_with_what_each_tool_offers():
    # CloudFormation's endpoint has no IP address type setting, the subnet decides: the fix is an
    # IPv4-only subnet or preservation off. Terraform can also ask for an IPv4 endpoint.
    report = scan(DUALSTACK)
    assert report.errors == []
    assert found(report) == {("EICE006", "network.yaml", 52, "FailEndpoint"),
                             ("EICE006", "main.tf", 44, "aws_ec2_instance_connect_endpoint.fail_this")}
    assert {(r, f, line) for r, f, line, _ in found(report)} == expected_markers(DUALSTACK)
    messages = {f.file: f.message for f in report.findings}
    cloudformation, terraform = messages["network.yaml"], messages["main.tf"]
    assert "it takes the type of its subnet PrivateSubnet, which has IPv4 and IPv6 CIDRs" in cloudformation
    assert cloudformation.endswith("Fix: set PreserveClientIp = false; if the clients' addresses must be preserved, "
                                   "place it in a subnet that has only IPv4 CIDRs instead.")
    assert not any(setting in cloudformation for setting in ("IpAddressType", "ip_address_type", "IP address type"))
    assert 'set ip_address_type = "ipv4" (provider 6.20 or later)' in terraform


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
