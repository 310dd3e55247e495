"""The network-ACL half of a path: the four legs a connection through an endpoint crosses when the
endpoint and the target sit in different subnets.

Network ACLs are stateless: the request must be allowed out of the endpoint's subnet and into the
target's, and the reply back out of the target's subnet and into the endpoint's, each by the first
matching entry in rule-number order, with an implicit deny after the last (FACTS.md, "Network ACLs").
Each leg is judged for a set of packets (TCP, a port range, an address range): an entry decides it
only when it matches all of them; one that matches some of them (part of the address range, part of
the ephemeral range) leaves the leg unknown, as does anything not fully known. A leg is False only
when a known entry, or the implicit deny of a fully known ACL, refuses every packet of the set.

Two sources are not documented (FACTS.md: uncertain): the source ports the endpoint's interface uses,
taken to be AWS's general ephemeral range 1024-65535; and how the endpoint's own subnet ACL applies
to traffic with client IP preservation on, so with preservation on only the target's subnet legs are
judged.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Union

from ..model.acls import AclChoice, AclEntry, NetworkAcl
from ..model.addresses import Network, can_hold_client_address, covers, is_network, is_world
from ..model.network import Model, Subnet

if TYPE_CHECKING:
    from .paths import Analysis, Path

Tri = Optional[bool]
EPHEMERAL_PORTS = (1024, 65535)  # AWS's general range for replies (FACTS.md); the endpoint's own is not documented


class PublicClients:
    """The addresses clients connect from with preservation on when no narrower range is known:
    any public IPv4 address (none in private space or the VPC's ranges)."""

    version = 4

    def __init__(self, vpc_ranges: list[Network]) -> None:
        self.vpc_ranges = vpc_ranges

    def __str__(self) -> str:
        return "the clients' public addresses"


Addresses = Union[Network, PublicClients]


@dataclass(frozen=True)
class AclLeg:
    """One crossing of a subnet boundary, and what the subnet's ACL makes of it."""

    name: str  # "request out of the endpoint's subnet", ...
    subnet: Subnet
    egress: bool  # the ACL's outbound rules (else inbound)
    ports: tuple[int, int]  # the TCP destination ports of the packets
    peer: Addresses  # the other side: destination of outbound packets, source of inbound ones
    acl: Optional[NetworkAcl]
    association: Optional[object]  # where the subnet is associated with the ACL (None: the VPC's default)
    allowed: Tri
    entry: Optional[AclEntry]  # the entry that decides; None for the implicit deny or when unknown

    def describe_ports(self) -> str:
        low, high = self.ports
        return f"TCP {low}" if low == high else f"TCP {low}-{high}"

    def describe_packets(self) -> str:
        """E.g. "outbound TCP 1024-65535 to 10.0.0.0/24"."""
        direction, side = ("outbound", "to") if self.egress else ("inbound", "from")
        return f"{direction} {self.describe_ports()} {side} {self.peer}"


def _relation(entry: AclEntry, ports: tuple[int, int], peer: Addresses) -> Optional[str]:
    """"all" when ``entry`` matches every packet of the set, "none" when it matches none, None when
    some (or it cannot be told)."""
    if entry.protocol == "other":
        return "none"
    port_relation: Optional[str] = "all"
    if entry.protocol is None or (entry.protocol == "tcp" and entry.ports is None):
        port_relation = None
    elif entry.protocol == "tcp":
        low, high = entry.ports  # type: ignore[misc]
        if low <= ports[0] and ports[1] <= high:
            port_relation = "all"
        elif high < ports[0] or ports[1] < low:
            return "none"
        else:
            port_relation = None
    if not is_network(entry.cidr):
        return None
    cidr: Network = entry.cidr
    if isinstance(peer, PublicClients):
        if cidr.version != 4 or not can_hold_client_address(cidr, peer.vpc_ranges):
            return "none"
        address_relation = "all" if is_world(cidr) else None
    else:
        contained = covers(cidr, peer)
        if contained is False:
            return "none"
        address_relation = "all" if contained else None
    return "all" if port_relation == "all" and address_relation == "all" else None


def judge(acl: NetworkAcl, egress: bool, ports: tuple[int, int], peer: Addresses) -> tuple[Tri, Optional[AclEntry]]:
    """First matching entry wins: (allowed, deciding entry). (False, None) is the implicit deny."""
    entries = [e for e in acl.entries if e.egress == egress]
    if any(e.rule_number is None for e in entries):
        return None, None  # the order is not known
    for entry in sorted(entries, key=lambda e: e.rule_number):  # type: ignore[arg-type, return-value]
        relation = _relation(entry, ports, peer)
        if relation == "none":
            continue
        if relation is None or entry.allow is None:
            return None, None
        if entry.allow is False and not acl.complete:
            return None, None  # an allow the scan cannot see may come first
        return entry.allow, entry
    return (False, None) if acl.complete else (None, None)


def leg(model: Model, name: str, subnet: Subnet, egress: bool, ports: tuple[int, int], peer: Addresses) -> AclLeg:
    choice: Optional[AclChoice] = model.subnet_acls.get(subnet.key)
    acl = model.network_acls.get(choice.acl) if choice is not None and isinstance(choice.acl, str) else None
    allowed, entry = judge(acl, egress, ports, peer) if acl is not None else (None, None)
    return AclLeg(name, subnet, egress, ports, peer, acl, choice.association if choice else None, allowed, entry)


def legs(model: Model, endpoint_subnet: Subnet, target_subnet: Subnet, port: int, preserve: bool,
         clients: Addresses) -> list[AclLeg]:
    """The legs, in the order the packets cross them, for preservation on (``clients``: where they
    connect from) or off (the source is the endpoint's interface, in its subnet). Empty when both
    sit in one subnet, or a range is not known."""
    if endpoint_subnet.key == target_subnet.key:
        return []  # traffic within a subnet is not filtered by ACLs
    target_range = target_subnet.cidr_v4
    if not is_network(target_range):
        return []
    request, reply = (port, port), EPHEMERAL_PORTS
    if preserve:
        return [leg(model, "request into the target's subnet", target_subnet, False, request, clients),
                leg(model, "reply out of the target's subnet", target_subnet, True, reply, clients)]
    source = endpoint_subnet.cidr_v4
    if not is_network(source):
        return []
    return [leg(model, "request out of the endpoint's subnet", endpoint_subnet, True, request, target_range),
            leg(model, "request into the target's subnet", target_subnet, False, request, source),
            leg(model, "reply out of the target's subnet", target_subnet, True, reply, source),
            leg(model, "reply into the endpoint's subnet", endpoint_subnet, False, reply, target_range)]


def first_refused(path_legs: list[AclLeg]) -> Optional[AclLeg]:
    """The first leg refused: the connection cannot work, whatever the legs not known before it."""
    return next((one for one in path_legs if one.allowed is False), None)


@dataclass(frozen=True)
class AclPath:
    """The ACL legs of one port of a path, through one of the target's subnets."""

    subnet: Subnet  # the target's
    port: int
    legs: tuple[AclLeg, ...]

    @property
    def refused(self) -> Optional[AclLeg]:
        return first_refused(list(self.legs))


def acl_paths(analysis: "Analysis", path: "Path") -> list[AclPath]:
    """For each port the security groups let through and each of the target's subnets, the ACL legs;
    none when the endpoint's subnet, mode or address family leave them unknown (IPv4 endpoints only:
    which family a dualstack endpoint uses is not judged)."""
    endpoint, model = path.endpoint, analysis.model
    if not model.acls_declared:
        return []  # every subnet uses its VPC's default ACL as AWS creates it: all traffic allowed
    mode = analysis.mode(endpoint)
    subnet = model.subnets.get(endpoint.subnet) if isinstance(endpoint.subnet, str) else None
    if subnet is None or mode is None or endpoint.ip_address_type != "ipv4" or not path.target.subnets_complete:
        return []
    ports = [p for p in analysis.admin_ports if path.egress.get(p) is True and path.ingress.get(p) is True]
    found = []
    for key in path.target.subnets:
        target_subnet = model.subnets.get(key)
        if target_subnet is None:
            continue
        for port in ports:
            clients = _clients(analysis, path, port) if mode else PublicClients([])
            crossing = legs(model, subnet, target_subnet, port, mode, clients)
            if crossing:
                found.append(AclPath(target_subnet, port, tuple(crossing)))
    return found


def acl_block(analysis: "Analysis", path: "Path") -> Optional[AclPath]:
    """The first of the target's subnets where the ACLs refuse every port the security groups let
    through: its first port's legs (the finding points at the first refused one)."""
    by_subnet: dict[str, list[AclPath]] = {}
    for crossing in acl_paths(analysis, path):
        by_subnet.setdefault(crossing.subnet.key, []).append(crossing)
    for crossings in by_subnet.values():
        if all(c.refused is not None for c in crossings):
            return crossings[0]
    return None


def _clients(analysis: "Analysis", path: "Path", port: int) -> Addresses:
    """Where clients connect from with preservation on: the public range the target's rule admits,
    else any public address."""
    rule = path.ingress_rule.get(port)
    cidr = rule.peer.cidr if rule is not None and rule.peer.kind == "cidr" else None
    if is_network(cidr) and cidr.version == 4 and not is_world(cidr):  # type: ignore[union-attr]
        return cidr  # type: ignore[return-value]
    return PublicClients(analysis.vpc_ranges(path.endpoint.vpc) or [])
