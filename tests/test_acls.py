"""Network ACLs (EICE009): how one leg is judged, and the values the front ends cannot resolve,
which leave an ACL or a subnet's ACL unknown and never produce a finding."""
from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from eice_checks.analysis.acls import EPHEMERAL_PORTS, PublicClients, judge
from eice_checks.model.acls import AclEntry, NetworkAcl
from eice_checks.model.network import Location
from helpers import found, scan

HERE = Location("t", 1)
NET = ipaddress.ip_network


def _entry(number, allow=True, protocol="tcp", ports=(22, 22), cidr="10.0.0.0/16", egress=False):
    return AclEntry(number, egress, allow, protocol, ports, NET(cidr) if cidr else None, HERE, f"rule{number}")


def _acl(*entries, complete=True):
    return NetworkAcl("acl", "acl", HERE, "vpc", list(entries), complete)


# -- one leg: first match in rule-number order, over every packet of the leg ---------------------------------
def test_the_lowest_rule_number_decides_whatever_the_order_written():
    acl = _acl(_entry(100), _entry(50, allow=False, cidr="0.0.0.0/0"))
    assert judge(acl, False, (22, 22), NET("10.0.0.0/24")) == (False, acl.entries[1])


def test_nothing_matches_the_final_deny_refuses():
    acl = _acl(_entry(100, ports=(80, 80)), _entry(110, protocol="other", ports=None, cidr="0.0.0.0/0"))
    assert judge(acl, False, (22, 22), NET("10.0.0.0/24")) == (False, None)


def test_an_entry_of_the_other_direction_does_not_count():
    acl = _acl(_entry(100, egress=True))
    assert judge(acl, False, (22, 22), NET("10.0.0.0/24")) == (False, None)


@pytest.mark.parametrize("entry", [
    _entry(100, cidr="10.0.0.0/25"),  # part of the source range
    _entry(100, ports=(32768, 60999)),  # part of the ephemeral range (the endpoint's own is not documented)
    _entry(100, cidr=None),  # a range not known
    _entry(100, ports=None),  # ports not known
    _entry(100, protocol=None),  # protocol not known
    _entry(None),  # order not known
    _entry(100, allow=None),  # action not known
], ids=["part-of-range", "part-of-ports", "cidr-unknown", "ports-unknown", "protocol-unknown", "number-unknown",
        "action-unknown"])
def test_an_entry_that_matches_part_of_the_packets_or_cannot_be_read_leaves_the_leg_unknown(entry):
    ports = EPHEMERAL_PORTS if entry.ports == (32768, 60999) else (22, 22)
    assert judge(_acl(entry), False, ports, NET("10.0.0.0/24")) == (None, None)


def test_an_acl_not_fully_known_may_allow_before_its_deny():
    partial = _acl(_entry(100, allow=False, cidr="0.0.0.0/0"), complete=False)
    assert judge(partial, False, (22, 22), NET("10.0.0.0/24")) == (None, None)
    assert judge(_acl(complete=False), False, (22, 22), NET("10.0.0.0/24")) == (None, None)
    allowed = _acl(_entry(100), complete=False)
    assert judge(allowed, False, (22, 22), NET("10.0.0.0/24")) == (True, allowed.entries[0])


def test_all_traffic_entries_cover_every_port():
    acl = _acl(_entry(100, protocol="all", ports=(0, 65535), cidr="0.0.0.0/0", egress=True))
    assert judge(acl, True, EPHEMERAL_PORTS, NET("10.0.0.0/24")) == (True, acl.entries[0])


def test_clients_with_preservation_on_are_any_public_address():
    clients = PublicClients([NET("10.0.0.0/16")])
    assert judge(_acl(_entry(100)), False, (22, 22), clients) == (False, None)  # the VPC: no client there
    assert judge(_acl(_entry(100, cidr="203.0.113.0/24")), False, (22, 22), clients) == (None, None)  # some clients
    world = _acl(_entry(100, cidr="0.0.0.0/0"))
    assert judge(world, False, (22, 22), clients) == (True, world.entries[0])


# -- what stays unknown in the sources ------------------------------------------------------------------------
_TF_BASE = """
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_subnet" "endpoint" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.0.0/24"
}
resource "aws_subnet" "app" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}
resource "aws_security_group" "eice" {
  vpc_id = aws_vpc.main.id
  egress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/16"]
  }
}
resource "aws_security_group" "app" {
  vpc_id = aws_vpc.main.id
  ingress {
    from_port       = 22
    to_port         = 22
    protocol        = "tcp"
    security_groups = [aws_security_group.eice.id]
  }
}
resource "aws_ec2_instance_connect_endpoint" "this" {
  subnet_id          = aws_subnet.endpoint.id
  security_group_ids = [aws_security_group.eice.id]
  preserve_client_ip = false
  ip_address_type    = "%(ip_type)s"
}
resource "aws_instance" "app" {
  ami                    = "ami-0123456789abcdef0"
  subnet_id              = aws_subnet.app.id
  vpc_security_group_ids = [aws_security_group.app.id]
}
"""
_CLOSED_ACL = """
resource "aws_network_acl" "closed" {
  vpc_id     = aws_vpc.main.id
  subnet_ids = [aws_subnet.app.id]
}
"""
# an entry added to the VPC's default ACL (which AWS gives rule 100, allow all): SSH refused first
_DEFAULT_DENY = """
resource "aws_network_acl_rule" "no_ssh" {
  network_acl_id = aws_vpc.main.default_network_acl_id
  rule_number    = 1
  protocol       = "tcp"
  rule_action    = "deny"
  cidr_block     = "0.0.0.0/0"
  from_port      = 22
  to_port        = 22
}
"""
_OPEN_ACL = """
resource "aws_network_acl" "open" {
  vpc_id = aws_vpc.main.id
  ingress {
    rule_no    = 1
    protocol   = "-1"
    action     = "allow"
    cidr_block = "0.0.0.0/0"
    from_port  = 0
    to_port    = 0
  }
  egress {
    rule_no    = 1
    protocol   = "-1"
    action     = "allow"
    cidr_block = "0.0.0.0/0"
    from_port  = 0
    to_port    = 0
  }
}
"""
_BLOCKED = {("EICE009", "main.tf", 43, "aws_instance.app")}


def _terraform(tmp_path: Path, extra: str, ip_type: str = "ipv4") -> set:
    (tmp_path / "main.tf").write_text(_TF_BASE % {"ip_type": ip_type} + extra)
    report = scan(tmp_path)
    assert report.errors == []
    return {f for f in found(report) if f[0] == "EICE009"}


@pytest.mark.parametrize("extra", [_CLOSED_ACL, _DEFAULT_DENY], ids=["closed-acl", "default-acl-with-a-deny"])
def test_the_cases_below_block_when_nothing_is_unknown(tmp_path, extra):
    assert _terraform(tmp_path, extra) == _BLOCKED


@pytest.mark.parametrize("extra", [
    # a rule for an ACL that cannot be resolved may belong to any ACL of the module
    _CLOSED_ACL + 'variable "acl" {}\nresource "aws_network_acl_rule" "r" {\n  network_acl_id = var.acl\n'
                  '  rule_number = 1\n  protocol = "-1"\n  rule_action = "allow"\n  cidr_block = "0.0.0.0/0"\n}\n',
    # an association whose subnet cannot be resolved: the app's subnet may use the open ACL
    _DEFAULT_DENY + _OPEN_ACL + 'variable "subnet" {}\nresource "aws_network_acl_association" "a" {\n'
                                '  network_acl_id = aws_network_acl.open.id\n  subnet_id = var.subnet\n}\n',
    # a default ACL adopted (its entries replaced), but which VPC's is not known: maybe this one's
    _DEFAULT_DENY + 'variable "default" {}\nresource "aws_default_network_acl" "d" {\n'
                    '  default_network_acl_id = var.default\n}\n',
    # an ACL whose count is not known
    'variable "n" {}\nresource "aws_network_acl" "closed" {\n  count = var.n\n  vpc_id = aws_vpc.main.id\n'
    '  subnet_ids = [aws_subnet.app.id]\n}\n',
    # the ACL's id goes to a module the scan cannot read (rules may be added there)
    _CLOSED_ACL + 'module "rules" {\n  source = "git::https://example.com/acl-rules.git"\n'
                  '  acl_id = aws_network_acl.closed.id\n}\n',
], ids=["rule-for-unknown-acl", "association-to-unknown-subnet", "default-acl-of-unknown-vpc", "unknown-count",
        "id-to-unread-module"])
def test_what_cannot_be_resolved_never_blocks(tmp_path, extra):
    assert _terraform(tmp_path, extra) == set()


def test_a_dualstack_endpoint_is_not_judged(tmp_path):
    """Which address family its traffic uses is not judged (the rule reads IPv4 endpoints)."""
    assert _terraform(tmp_path, _CLOSED_ACL, ip_type="dualstack") == set()


def test_cloudformation_entries_for_an_unresolved_acl_leave_the_templates_acls_unknown(tmp_path):
    template = """
Parameters:
  AclId: {Type: String}
Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}
  EndpointSubnet: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.0.0/24}}
  AppSubnet: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.1.0/24}}
  EndpointSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: e
      VpcId: !Ref Vpc
      SecurityGroupEgress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 10.0.0.0/16}]
  AppSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: a
      VpcId: !Ref Vpc
      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, SourceSecurityGroupId: !Ref EndpointSg}]
  Endpoint:
    Type: AWS::EC2::InstanceConnectEndpoint
    Properties: {SubnetId: !Ref EndpointSubnet, SecurityGroupIds: [!Ref EndpointSg], PreserveClientIp: false}
  Closed: {Type: AWS::EC2::NetworkAcl, Properties: {VpcId: !Ref Vpc}}
  Association:
    Type: AWS::EC2::SubnetNetworkAclAssociation
    Properties: {SubnetId: !Ref AppSubnet, NetworkAclId: !Ref Closed}
  App:
    Type: AWS::EC2::Instance
    Properties: {ImageId: ami-0123456789abcdef0, SubnetId: !Ref AppSubnet, SecurityGroupIds: [!Ref AppSg]}
%s"""
    (tmp_path / "t.yaml").write_text(template % "")
    assert {f[0] for f in found(scan(tmp_path))} == {"EICE009"}
    (tmp_path / "t.yaml").write_text(template % """  Somewhere:
    Type: AWS::EC2::NetworkAclEntry
    Properties: {NetworkAclId: !Ref AclId, RuleNumber: 1, Protocol: -1, RuleAction: allow, CidrBlock: 0.0.0.0/0}
""")
    assert {f[0] for f in found(scan(tmp_path))} == set()
