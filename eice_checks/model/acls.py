"""Network ACLs in the model: their ordered entries, and which ACL each subnet uses.

Front ends declare ACLs, entries and associations through ``AclCollector`` (held by ModelBuilder),
in any order; ``AclCollector.finish`` attaches entries to their ACLs and gives every subnet the ACL
it uses: its explicit association, else its VPC's default ACL. A default ACL nothing in the scan
manages is the one AWS creates, which allows all traffic (FACTS.md, "Network ACLs"); Terraform's
``aws_default_network_acl`` replaces its entries with the ones it declares (provider docs). What
cannot be told (an association or entry whose ACL or subnet cannot be resolved) leaves the ACL or
the subnet's ACL unknown: no rule concludes anything from it.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from .addresses import parse_cidr
from .network import Location, Model
from .values import EntityRef, Unknown


@dataclass(frozen=True)
class AclEntry:
    """One numbered rule of a network ACL. ``None`` fields are not known."""

    rule_number: Optional[int]
    egress: bool
    allow: Optional[bool]  # True: allow, False: deny
    protocol: Optional[str]  # "tcp" | "all" | "other" (a protocol that never carries TCP)
    ports: Optional[tuple[int, int]]  # inclusive; every port for protocol "all"
    cidr: Any  # Network, or None when not known
    location: Location
    origin: str  # the resource that declares it, for messages
    implicit: bool = False  # one of the rules AWS gives a default ACL, not written

    def describe(self) -> str:
        action = {True: "allow", False: "deny", None: "?"}[self.allow]
        if self.protocol == "all":
            what = "all traffic"
        elif self.ports is None:
            what = f"{self.protocol or '?'} (ports unknown)"
        else:
            low, high = self.ports
            what = f"{self.protocol} {low}" if low == high else f"{self.protocol} {low}-{high}"
        side = "to" if self.egress else "from"
        number = "?" if self.rule_number is None else self.rule_number
        return f"rule {number} ({action} {what} {side} {self.cidr if self.cidr is not None else '?'})"


@dataclass
class NetworkAcl:
    key: str
    name: str  # logical id or Terraform address, for messages
    location: Location
    vpc: Union[str, Unknown]
    entries: list[AclEntry] = field(default_factory=list)
    complete: bool = True  # False when an entry may exist that the scan cannot read
    default: bool = False  # the VPC's default ACL
    assumed: bool = False  # a default ACL nothing in the scan declares: AWS's, allow all

    @property
    def described(self) -> str:
        if self.default and self.name.startswith("default network ACL"):
            return f"the {self.name}"
        return f"the network ACL {self.name}"


@dataclass(frozen=True)
class AclChoice:
    """The ACL a subnet uses, and the association that says so (None: the VPC's default)."""

    acl: Union[str, Unknown]
    association: Optional[Location] = None


def acl_entry(rule_number: Any, egress: Any, action: Any, protocol: Any, from_port: Any, to_port: Any, cidr: Any,
              location: Location, origin: str) -> Optional[AclEntry]:
    """An entry from the values a template or configuration gives (either tool's spelling); None
    when its direction is not known."""
    from .builder import normalize_ports, normalize_protocol  # (builder imports this module)

    name = normalize_protocol(protocol)
    if name in ("udp", "icmp", "icmpv6"):
        name = "other"  # (for a TCP connection, any protocol but TCP and "all" is another)
    number = _rule_number(rule_number)
    actions = {"allow": True, "deny": False}
    allow = actions.get(action.strip().lower()) if isinstance(action, str) else None
    flag = egress if isinstance(egress, bool) else {"true": True, "false": False}.get(str(egress).lower())
    if flag is None:
        return None  # inbound or outbound: not known
    return AclEntry(number, flag, allow, name, normalize_ports(name, from_port, to_port), parse_cidr(cidr),
                    location, origin)


def _rule_number(value: Any) -> Optional[int]:
    """An entry's number as written (Terraform's list(map(string)) variables make it text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value) < 20:
        return int(value)
    return None


def default_acl_key(vpc_key: str) -> str:
    return f"{vpc_key}#default-network-acl"


def _aws_default_entries(acl: NetworkAcl) -> list[AclEntry]:
    """The rules AWS gives a default ACL: rule 100 allows all traffic in and out, IPv4 and IPv6."""
    return [AclEntry(100, egress, True, "all", (0, 65535), ipaddress.ip_network(world), acl.location,
                     acl.name, implicit=True)
            for egress in (False, True) for world in ("0.0.0.0/0", "::/0")]


class AclCollector:
    """What the front ends declare about network ACLs, until ModelBuilder.finish."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self._entries: list[tuple[Any, AclEntry]] = []
        self._associations: list[tuple[Any, Any, Location]] = []
        self._unread_scopes: set[str] = set()  # an entry there names an ACL that cannot be resolved
        self._vpcs_unsure: set[str] = set()  # an ACL of the VPC is associated with a subnet not resolved
        self._any_vpc_unsure = False  # ... and that ACL's VPC is not known either; or a default ACL
        # is adopted (aws_default_network_acl) whose VPC is not known
        self._incomplete: set[str] = set()

    def add_acl(self, acl: NetworkAcl) -> None:
        """An ACL, custom or default (Terraform's aws_default_network_acl: its entries are exactly
        those it declares, as it removes the others)."""
        existing = self.model.network_acls.get(acl.key)
        if existing is not None and not existing.assumed:
            existing.complete = False  # declared twice (two modules adopt one default ACL): not sure
            return
        self.model.network_acls[acl.key] = acl

    def add_entry(self, acl_ref: Any, entry: Optional[AclEntry], scope: str, certain: bool = True) -> None:
        """An entry for the ACL ``acl_ref`` refers to (an EntityRef of kind "nacl", or a literal id).
        ``entry`` None: one that cannot be read; ``certain`` False: it may not exist (a condition)."""
        key = _acl_key(acl_ref)
        if key is None:
            self._unread_scopes.add(f"{scope}#")  # it may belong to any ACL of its template/module
        elif entry is None or not certain:
            self._incomplete.add(key)
        else:
            self._entries.append((key, entry))

    def mark_incomplete(self, key: str) -> None:
        self._incomplete.add(key)

    def adopt_unknown_default(self) -> None:
        """A default ACL is adopted and its entries replaced, but which VPC's is not known: any subnet
        that uses its VPC's default ACL may use that one."""
        self._any_vpc_unsure = True

    def mark_scope_unread(self, scope: str) -> None:
        """Part of a template/module is not read as deployed: its ACLs may have more entries."""
        self._unread_scopes.add(f"{scope}#")

    def associate(self, subnet_ref: Any, acl_ref: Any, location: Location) -> None:
        """``acl_ref`` is associated with ``subnet_ref`` (either may be unresolved)."""
        self._associations.append((subnet_ref, acl_ref, location))

    def finish(self, handed_out: set[str]) -> None:
        """``handed_out``: keys given to code the scan does not read (entries may be added there)."""
        acls = self.model.network_acls
        self.model.acls_declared = bool(acls or self._entries or self._associations or self._unread_scopes
                                        or self._any_vpc_unsure)
        if not self.model.acls_declared:
            return  # every subnet uses its VPC's default ACL as AWS creates it
        for key, entry in self._entries:
            acl = acls.get(key)
            if acl is None and key.endswith("#default-network-acl"):
                acl = self._assumed_default(key)
            if acl is not None:
                acl.entries.append(entry)
        scopes = tuple(self._unread_scopes)
        for acl in acls.values():
            if acl.key in self._incomplete or acl.key in handed_out or (scopes and acl.key.startswith(scopes)):
                acl.complete = False
        chosen: dict[str, set[Any]] = {}
        where: dict[str, Location] = {}
        for subnet_ref, acl_ref, location in self._associations:
            subnet, acl = _entity_key(subnet_ref, "subnet"), _acl_key(acl_ref)
            if subnet is not None and subnet not in self.model.subnets:
                continue  # a literal id: a subnet outside the scan
            if subnet is None:
                vpc = acls[acl].vpc if acl in acls else None
                if isinstance(vpc, str):
                    self._vpcs_unsure.add(vpc)
                else:
                    self._any_vpc_unsure = True
                continue
            chosen.setdefault(subnet, set()).add(acl)
            where.setdefault(subnet, location)
        choices = self.model.subnet_acls
        for subnet in self.model.subnets.values():
            named = chosen.get(subnet.key)
            if named:
                acl = next(iter(named)) if len(named) == 1 else None
                choices[subnet.key] = AclChoice(
                    acl if acl is not None else Unknown("network ACL association not resolved"), where[subnet.key])
            elif not isinstance(subnet.vpc, str) or subnet.vpc in self._vpcs_unsure or self._any_vpc_unsure:
                choices[subnet.key] = AclChoice(Unknown("the subnet's network ACL is not known"))
            else:
                key = default_acl_key(subnet.vpc)
                if key not in acls:
                    self._assumed_default(key)
                choices[subnet.key] = AclChoice(key)

    def _assumed_default(self, key: str) -> NetworkAcl:
        vpc_key = key[: -len("#default-network-acl")]
        vpc = self.model.vpcs.get(vpc_key)
        location = vpc.location if vpc is not None else Location("", 0)
        name = f"default network ACL of {vpc.name}" if vpc is not None else "default network ACL"
        acl = NetworkAcl(key, name, location, vpc_key, default=True, assumed=True)
        acl.entries.extend(_aws_default_entries(acl))
        self.model.network_acls[key] = acl
        return acl


def _acl_key(ref: Any) -> Optional[str]:
    return _entity_key(ref, "nacl")


def _entity_key(ref: Any, kind: str) -> Optional[str]:
    """The key of a reference to an entity of ``kind``, a literal id (one outside the scan) as it
    is, or None when it is not resolved."""
    if isinstance(ref, EntityRef):
        return ref.key if ref.kind == kind else None
    return ref if isinstance(ref, str) and ref else None
