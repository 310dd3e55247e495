"""Generated network models for the property tests (tests/test_properties.py), written out as a
CloudFormation template and as the equivalent Terraform with the two tools' defaults made explicit:
every security group has egress rules of its own (CloudFormation would otherwise allow all egress,
Terraform none), client IP preservation is always set, and the targets are those the model names
(the ``eice-checks:target`` tag), so that no rule changes which instances are meant.

One VPC (10.0.0.0/16), the endpoint's subnet (10.0.1.0/24) and another (10.0.2.0/24); the
endpoint's security group ``EndpointSg``; one to three targets, each in one of the groups ``Sg0``..
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from hypothesis import strategies as st

VPC, SUBNETS = "10.0.0.0/16", ("10.0.1.0/24", "10.0.2.0/24")
CIDRS = ("10.0.0.0/16", "10.0.1.0/24", "10.0.5.0/24", "10.50.0.0/16", "0.0.0.0/0", "198.51.100.0/24")
PORTS = ((22, 22), (3389, 3389), (443, 443), (0, 65535), (20, 25))


@dataclass(frozen=True)
class Rule:
    protocol: str  # tcp, udp or -1
    ports: tuple[int, int]
    peer: str  # a CIDR, or the name of a security group


@dataclass(frozen=True)
class Target:
    name: str
    group: str
    subnet: int  # index into SUBNETS


@dataclass(frozen=True)
class Model:
    preserve: bool
    groups: dict[str, tuple[tuple[Rule, ...], tuple[Rule, ...]]]  # name -> (ingress, egress)
    targets: tuple[Target, ...]
    prefix: str = ""  # put before every resource name (renaming)
    files: int = 1  # Terraform: how many files the resources are spread over
    reverse: bool = False  # write the resources in the opposite order
    extra: dict[str, tuple[Rule, ...]] = field(default_factory=dict)  # group -> added ingress (egress for EndpointSg)

    def with_rule(self, group: str, rule: Rule) -> "Model":
        return replace(self, extra={**self.extra, group: self.extra.get(group, ()) + (rule,)})

    def rules(self, group: str) -> tuple[tuple[Rule, ...], tuple[Rule, ...]]:
        ingress, egress = self.groups[group]
        added = self.extra.get(group, ())
        return (ingress, egress + added) if group == "EndpointSg" else (ingress + added, egress)

    def name(self, base: str) -> str:
        return self.prefix + base


def _rules(peers: list[str], min_size: int = 0) -> st.SearchStrategy[tuple[Rule, ...]]:
    rule = st.builds(Rule, st.sampled_from(("tcp", "tcp", "udp", "-1")), st.sampled_from(PORTS),
                     st.sampled_from(peers))
    return st.lists(rule, min_size=min_size, max_size=3).map(tuple)


@st.composite
def models(draw: st.DrawFn) -> Model:
    count = draw(st.integers(1, 3))
    groups = [f"Sg{i}" for i in range(draw(st.integers(1, count)))]
    peers = list(CIDRS) + groups + ["EndpointSg"]
    everything = (Rule("-1", (0, 65535), "0.0.0.0/0"),)
    table = {"EndpointSg": ((), draw(_rules(list(CIDRS) + groups, min_size=1)))}
    for group in groups:
        table[group] = (draw(_rules(peers)), everything)
    targets = tuple(Target(f"Target{i}", draw(st.sampled_from(groups)), draw(st.integers(0, 1))) for i in range(count))
    return Model(draw(st.booleans()), table, targets)


def allow_rules(model: Model) -> st.SearchStrategy[tuple[str, Rule]]:
    """An allow rule to add: ingress on a target's group, or egress on the endpoint's."""
    groups = sorted(model.groups)
    peers = list(CIDRS) + groups
    return st.tuples(st.sampled_from(groups), st.builds(Rule, st.sampled_from(("tcp", "udp", "-1")),
                                                       st.sampled_from(PORTS), st.sampled_from(peers)))


# -- CloudFormation --------------------------------------------------------------------------------
def _cfn_rule(rule: Rule, model: Model, egress: bool) -> dict:
    out: dict = {"IpProtocol": rule.protocol}
    if rule.protocol != "-1":
        out["FromPort"], out["ToPort"] = rule.ports
    if "/" in rule.peer:
        out["CidrIp"] = rule.peer
    else:
        out["DestinationSecurityGroupId" if egress else "SourceSecurityGroupId"] = {"Ref": model.name(rule.peer)}
    return out


def cloudformation(model: Model) -> dict:
    n = model.name
    resources: dict = {
        n("Vpc"): {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": VPC}},
    }
    for i, cidr in enumerate(SUBNETS):
        resources[n(f"Subnet{i}")] = {"Type": "AWS::EC2::Subnet",
                                      "Properties": {"VpcId": {"Ref": n("Vpc")}, "CidrBlock": cidr}}
    for group in model.groups:
        ingress, egress = model.rules(group)
        properties = {"GroupDescription": group, "VpcId": {"Ref": n("Vpc")},
                      "SecurityGroupEgress": [_cfn_rule(r, model, True) for r in egress]}
        if ingress:
            properties["SecurityGroupIngress"] = [_cfn_rule(r, model, False) for r in ingress]
        resources[n(group)] = {"Type": "AWS::EC2::SecurityGroup", "Properties": properties}
    resources[n("Endpoint")] = {"Type": "AWS::EC2::InstanceConnectEndpoint", "Properties": {
        "SubnetId": {"Ref": n("Subnet0")}, "SecurityGroupIds": [{"Ref": n("EndpointSg")}],
        "PreserveClientIp": model.preserve}}
    for target in model.targets:
        resources[n(target.name)] = {"Type": "AWS::EC2::Instance", "Properties": {
            "ImageId": "ami-0123456789abcdef0", "SubnetId": {"Ref": n(f"Subnet{target.subnet}")},
            "SecurityGroupIds": [{"Ref": n(target.group)}], "Tags": [{"Key": "eice-checks:target", "Value": "true"}]}}
    if model.reverse:
        resources = dict(reversed(list(resources.items())))
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}


# -- Terraform -------------------------------------------------------------------------------------
def _tf_rule(kind: str, name: str, group: str, rule: Rule, model: Model) -> str:
    lines = [f'resource "aws_vpc_security_group_{kind}_rule" "{name}" {{',
             f"  security_group_id = aws_security_group.{model.name(group)}.id",
             f'  ip_protocol       = "{rule.protocol}"']
    if rule.protocol != "-1":
        lines += [f"  from_port = {rule.ports[0]}", f"  to_port   = {rule.ports[1]}"]
    if "/" in rule.peer:
        lines.append(f'  cidr_ipv4 = "{rule.peer}"')
    else:
        lines.append(f"  referenced_security_group_id = aws_security_group.{model.name(rule.peer)}.id")
    return "\n".join(lines) + "\n}\n"


def terraform_blocks(model: Model) -> list[str]:
    n = model.name
    blocks = [f'resource "aws_vpc" "{n("Vpc")}" {{\n  cidr_block = "{VPC}"\n}}\n']
    for i, cidr in enumerate(SUBNETS):
        blocks.append(f'resource "aws_subnet" "{n(f"Subnet{i}")}" {{\n  vpc_id     = aws_vpc.{n("Vpc")}.id\n'
                      f'  cidr_block = "{cidr}"\n}}\n')
    for group in model.groups:
        blocks.append(f'resource "aws_security_group" "{n(group)}" {{\n  vpc_id = aws_vpc.{n("Vpc")}.id\n}}\n')
        ingress, egress = model.rules(group)
        blocks += [_tf_rule("ingress", f"{n(group)}_in{i}", group, r, model) for i, r in enumerate(ingress)]
        blocks += [_tf_rule("egress", f"{n(group)}_out{i}", group, r, model) for i, r in enumerate(egress)]
    blocks.append(f'resource "aws_ec2_instance_connect_endpoint" "{n("Endpoint")}" {{\n'
                  f"  subnet_id          = aws_subnet.{n('Subnet0')}.id\n"
                  f"  security_group_ids = [aws_security_group.{n('EndpointSg')}.id]\n"
                  f"  preserve_client_ip = {str(model.preserve).lower()}\n}}\n")
    for target in model.targets:
        blocks.append(f'resource "aws_instance" "{n(target.name)}" {{\n  ami = "ami-0123456789abcdef0"\n'
                      f"  subnet_id              = aws_subnet.{n(f'Subnet{target.subnet}')}.id\n"
                      f"  vpc_security_group_ids = [aws_security_group.{n(target.group)}.id]\n"
                      f'  tags = {{ "eice-checks:target" = "true" }}\n}}\n')
    return blocks[::-1] if model.reverse else blocks


def write(model: Model, folder: Path, tool: str) -> Path:
    """The model as ``tool`` (cloudformation or terraform) sources in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    if tool == "cloudformation":
        (folder / "template.json").write_text(json.dumps(cloudformation(model), indent=1))
    else:
        blocks = terraform_blocks(model)
        for i in range(model.files):
            (folder / f"part{i}.tf").write_text("\n".join(blocks[i::model.files]))
    return folder
