"""The normalized network model every rule reads.

Front ends (CloudFormation, Terraform) fill it through ``ModelBuilder``; ``ModelBuilder.finish``
applies the semantics that decide real outcomes once, in one place: the per-tool default egress of
security groups, the CIDRs of the prefix lists rules name, the VPC default security group of
endpoints that name none, the subnets Auto Scaling groups place launch templates in, and the VPC of
resources that only say it indirectly. Rules never see a file format.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Union

from .addresses import Network, parse_cidr
from .values import Unknown, shown

TOOLS = ("cloudformation", "terraform")

# _FAST_INIT: a frozen dataclass's own __init__ sets each field through object.__setattr__; the
# small value classes a scan makes by the ten thousand (a Location per attribute, a rule per
# peer) write their instance dict directly instead, at half the cost. @dataclass keeps an
# __init__ the class defines; its fields (eq, hash, order, repr) are the dataclass's as before.
ALL_PORTS = (0, 65535)


@dataclass(frozen=True, order=True)
class Location:
    file: str
    line: int
    column: int = field(default=0, compare=False)  # 1-based, in characters; 0 when not known

    def __init__(self, file: str, line: int, column: int = 0) -> None:
        fields = self.__dict__  # (see _FAST_INIT)
        fields["file"], fields["line"], fields["column"] = file, line, column


@dataclass(frozen=True)
class Peer:
    """The other side of a security-group rule: where ingress comes from, or egress goes to."""

    kind: str  # "cidr" | "sg" | "prefix_list" | "unknown"
    label: str  # as the user wrote it, for messages
    cidr: Optional[Network] = None
    sg: Optional[str] = None  # key of the referenced security group
    # key of the referenced prefix list; ModelBuilder.finish turns one the scan fully knows into its CIDRs
    prefix_list: Optional[str] = None

    def __init__(self, kind: str, label: str, cidr: Optional[Network] = None, sg: Optional[str] = None,
                 prefix_list: Optional[str] = None) -> None:
        fields = self.__dict__  # (see _FAST_INIT)
        fields["kind"], fields["label"], fields["cidr"], fields["sg"], fields["prefix_list"] = \
            kind, label, cidr, sg, prefix_list

    @staticmethod
    def of_cidr(text: object, label: str = "") -> "Peer":
        network = parse_cidr(text)
        if network is None:
            return Peer("unknown", label or shown(text))
        return Peer("cidr", label or str(network), cidr=network)

    @staticmethod
    def of_sg(key: str, label: str) -> "Peer":
        return Peer("sg", label, sg=key)

    @staticmethod
    def of_prefix_list(key: object, label: str) -> "Peer":
        return Peer("prefix_list", label, prefix_list=key if isinstance(key, str) else None)


@dataclass(frozen=True)
class SgRule:
    direction: str  # "ingress" | "egress"
    protocol: Optional[str]  # "tcp" | "udp" | "icmp" | "icmpv6" | "all" | "other"; None when unknown
    ports: Optional[tuple[int, int]]  # inclusive range; None when unknown
    peer: Peer
    location: Location
    origin: str  # the resource that declares the rule
    implicit: bool = False  # added by the platform (CloudFormation's default egress), not written

    def __init__(self, direction: str, protocol: Optional[str], ports: Optional[tuple[int, int]], peer: Peer,
                 location: Location, origin: str, implicit: bool = False) -> None:
        fields = self.__dict__  # (see _FAST_INIT)
        fields["direction"], fields["protocol"], fields["ports"], fields["peer"] = direction, protocol, ports, peer
        fields["location"], fields["origin"], fields["implicit"] = location, origin, implicit

    def allows_tcp(self, port: int) -> Optional[bool]:
        """Whether this rule lets TCP traffic on ``port`` through, ignoring the peer."""
        if self.protocol is None:
            return None
        if self.protocol == "all":
            return True
        if self.protocol != "tcp":
            return False
        if self.ports is None:
            return None
        low, high = self.ports
        return low <= port <= high

    def describe(self) -> str:
        proto = self.protocol or "?"
        if proto == "all":
            what = "all traffic"
        elif self.ports is None:
            what = f"{proto} (ports unknown)"
        elif self.ports == ALL_PORTS:
            what = f"{proto} all ports"
        elif self.ports[0] == self.ports[1]:
            what = f"{proto} {self.ports[0]}"
        else:
            what = f"{proto} {self.ports[0]}-{self.ports[1]}"
        side = "from" if self.direction == "ingress" else "to"
        return f"{what} {side} {self.peer.label}"


@dataclass
class Vpc:
    key: str
    name: str
    location: Location
    cidrs: list[Network] = field(default_factory=list)
    cidrs_complete: bool = True  # False when some CIDR (primary or associated) is not known

    @property
    def default_sg_key(self) -> str:
        return default_sg_key(self.key)


def default_sg_key(vpc_key: str) -> str:
    return f"{vpc_key}#default-security-group"


@dataclass
class Subnet:
    key: str
    name: str
    location: Location
    vpc: Union[str, Unknown]
    cidr_v4: Union[Network, Unknown, None] = None
    cidr_v6: Union[Network, Unknown, None] = None
    maps_public_ip: bool = False  # instances launched here get a public IPv4 address by default


@dataclass
class SecurityGroup:
    key: str
    name: str
    location: Location
    tool: str
    vpc: Union[str, Unknown]
    ingress: list[SgRule] = field(default_factory=list)
    egress: list[SgRule] = field(default_factory=list)
    # False when a rule of this group could not be read (an unresolvable dynamic block, say):
    # then "no rule admits X" cannot be concluded.
    complete: bool = True
    # The VPC default group as AWS creates it, assumed because nothing in the scan manages it.
    assumed: bool = False
    group_name: Optional[str] = None  # the name AWS knows it by, for lookups by name
    tags: dict = field(default_factory=dict)


@dataclass
class PrefixList:
    """A customer-managed prefix list the scan declares. Its CIDRs are the entries written with it or
    added by entry resources; ``complete`` is False when the scan cannot list them all."""

    key: str
    name: str
    location: Location
    cidrs: list[Network] = field(default_factory=list)
    complete: bool = True


@dataclass
class SgList:
    """The security groups a resource names: keys, whether that list is complete, and where it is written."""

    keys: tuple[str, ...] = ()
    complete: bool = True
    given: bool = True  # False when the property is absent
    location: Optional[Location] = None
    defaulted: bool = False  # none named: the VPC's default group stands in (set by ModelBuilder.finish)

    def merged(self, other: "SgList") -> "SgList":
        """Groups named in two places (an instance and its network interfaces, say)."""
        if not other.given:
            return self
        location = self.location if self.given else other.location
        return SgList(self.keys + other.keys, self.complete and other.complete, True, location)


@dataclass
class Endpoint:
    key: str
    address: str
    scope: str  # the template file or Terraform module directory the resource is declared in
    tool: str
    location: Location
    subnet: Union[str, Unknown, None]
    security_groups: SgList
    preserve_client_ip: Union[bool, Unknown]
    preserve_explicit: bool
    preserve_location: Location
    ip_address_type: Union[str, Unknown, None] = None  # None: not set; ModelBuilder.finish derives it
    ip_address_type_location: Optional[Location] = None
    ip_address_type_derived: str = ""  # how a type that was not set was derived, for messages
    instance_count: Union[int, Unknown] = 1
    count_location: Optional[Location] = None
    resource_address: str = ""  # the resource an expanded instance comes from (Terraform count/for_each)
    vpc: Union[str, Unknown] = Unknown("not derived")  # set by ModelBuilder.finish


@dataclass
class Target:
    """Something an endpoint may tunnel to: an instance, launch template/configuration or network interface."""

    key: str
    address: str
    scope: str
    tool: str
    kind: str  # "instance" | "launch template" | "launch configuration" | "network interface"
    location: Location
    security_groups: SgList
    subnets: tuple[str, ...] = ()
    subnets_complete: bool = True
    marked: Optional[bool] = None  # the user's tag eice-checks:target: true / false, None when untagged
    public_ip: Optional[bool] = None  # has a public address of its own (reached directly); None: not known
    exists: Optional[bool] = True  # None when a count/condition leaves it undecided
    resource_address: str = ""  # the resource an expanded instance comes from (Terraform count/for_each)
    vpc: Union[str, Unknown] = Unknown("not derived")  # set by ModelBuilder.finish


@dataclass
class Model:
    vpcs: dict[str, Vpc] = field(default_factory=dict)
    subnets: dict[str, Subnet] = field(default_factory=dict)
    security_groups: dict[str, SecurityGroup] = field(default_factory=dict)
    prefix_lists: dict[str, PrefixList] = field(default_factory=dict)
    endpoints: list[Endpoint] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    network_acls: dict[str, Any] = field(default_factory=dict)  # key -> acls.NetworkAcl
    subnet_acls: dict[str, Any] = field(default_factory=dict)  # subnet key -> acls.AclChoice
    acls_declared: bool = False  # the scan declares an ACL, entry or association (else every one is AWS's default)
    suppressions: list[Any] = field(default_factory=list)  # suppressions.Suppression, as the sources write them
