"""Model semantics: protocols, ports, address ranges, default egress and default groups."""
from __future__ import annotations

import ipaddress

import pytest

from eice_checks.model.addresses import can_hold_client_address, covers
from eice_checks.model.builder import ModelBuilder, normalize_ports, normalize_protocol
from eice_checks.model.network import Location, Peer, SecurityGroup, SgRule
from eice_checks.model.values import Unknown

net = ipaddress.ip_network


@pytest.mark.parametrize("value, expected", [
    ("-1", "all"), (-1, "all"), ("all", "all"), ("TCP", "tcp"), ("6", "tcp"), (6, "tcp"), ("17", "udp"),
    ("icmp", "icmp"), ("58", "icmpv6"), ("50", "other"), (Unknown(), None), (None, None), (True, None), ("tcpp", None),
])
def test_protocols(value, expected):
    assert normalize_protocol(value) == expected


def test_ports():
    assert normalize_ports("all", 22, 22) == (0, 65535)  # -1 opens every port whatever the range says
    assert normalize_ports("tcp", "22", 22) == (22, 22)
    assert normalize_ports("tcp", -1, -1) == (0, 65535)
    assert normalize_ports("tcp", None, 22) is None
    rule = SgRule("ingress", "other", None, Peer.of_cidr("0.0.0.0/0"), Location("f", 1), "x")
    assert rule.allows_tcp(22) is False  # protocol 50 carries no TCP
    assert SgRule("ingress", "tcp", None, Peer.of_cidr("0.0.0.0/0"), Location("f", 1), "x").allows_tcp(22) is None


def test_address_ranges():
    assert covers(net("10.0.0.0/16"), net("10.0.1.0/24")) is True
    assert covers(net("10.0.1.0/24"), net("10.0.0.0/16")) is None
    assert covers(net("10.1.0.0/16"), net("10.0.1.0/24")) is False
    assert covers(net("::/0"), net("10.0.1.0/24")) is False
    # DESIGN.md: documentation ranges are public for this purpose, unlike ipaddress.is_private
    assert can_hold_client_address(net("203.0.113.0/24")) is True
    assert can_hold_client_address(net("100.64.0.0/16")) is False
    assert can_hold_client_address(net("10.0.0.0/7")) is True  # reaches past 10/8 into public space
    assert can_hold_client_address(net("11.0.0.0/16"), [net("11.0.0.0/8")]) is False  # the VPC's own range
    assert can_hold_client_address(net("fd00::/8")) is False


def _group(builder: ModelBuilder, tool: str) -> SecurityGroup:
    group = SecurityGroup(f"{tool}-sg", "sg", Location("f", 1), tool, "vpc")
    builder.add_security_group(group)
    return group


def test_default_egress_per_tool():
    builder = ModelBuilder()
    cfn, tf, cfn_with_standalone = _group(builder, "cloudformation"), _group(builder, "terraform"), SecurityGroup(
        "cfn2", "sg2", Location("f", 2), "cloudformation", "vpc")
    builder.add_security_group(cfn_with_standalone)
    builder.declare_egress("cfn2")  # an AWS::EC2::SecurityGroupEgress for it, even one that cannot be read
    builder.finish()
    assert [(r.protocol, r.peer.label, r.implicit) for r in cfn.egress] == [("all", "0.0.0.0/0", True), ("all", "::/0", True)]
    assert tf.egress == [] and cfn_with_standalone.egress == []
