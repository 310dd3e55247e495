"""Derived facts the rules share: which targets each endpoint is meant to reach, and whether each
leg of that path (endpoint egress, target ingress) lets an admin port through.

Everything is three-valued: True, False, or None for "cannot tell". Rules report an error only on
False, so an unknown value never becomes an error finding. A leg is True as soon as one known rule
lets the traffic through (security groups only add permissions, so rules the scan cannot see never
take it away); it is False only when every rule is known and none does.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterable, Optional

from ..model.addresses import Network, can_hold_client_address, covers_all, is_network, is_world
from ..model.network import Endpoint, Model, Peer, SecurityGroup, SgList, SgRule, Target

Tri = Optional[bool]
PORT_NAMES = {22: "SSH", 3389: "RDP"}
_UNSEEN = object()
_CATCH_ALL_SPAN = 60000  # a TCP range this wide (0-65535, 1-65535, 1024-65535) opens everything, not admin ports


def any3(values: Iterable[Tri]) -> Tri:
    """Three-valued OR: True if any is True, else None if any is unknown, else False."""
    result: Tri = False
    for value in values:
        if value is True:
            return True
        if value is None:
            result = None
    return result


def and3(a: Tri, b: Tri) -> Tri:
    if a is False or b is False:
        return False
    if a is True and b is True:
        return True
    return None


def port_label(port: int) -> str:
    name = PORT_NAMES.get(port)
    return f"{port} ({name})" if name else str(port)


@dataclass
class Path:
    """One endpoint and one target it is meant to reach."""

    endpoint: Endpoint
    target: Target
    reason: str  # why the target counts as meant to be reached
    egress: dict[int, Tri] = field(default_factory=dict)  # per admin port: does the endpoint send it to the target
    ingress: dict[int, Tri] = field(default_factory=dict)  # per admin port: does the target admit it (current mode)
    # per admin port: the rule that makes the leg True (the first that does), from the same evaluation
    egress_rule: dict[int, Optional[SgRule]] = field(default_factory=dict)
    ingress_rule: dict[int, Optional[SgRule]] = field(default_factory=dict)

    @property
    def ports_sent(self) -> list[int]:
        """Ports the endpoint may send to the target; all admin ports when it sends none (EICE001 reports that)."""
        sent = [p for p, allowed in self.egress.items() if allowed is not False]
        return sent or list(self.egress)

    @property
    def admitted(self) -> Tri:
        return any3(self.ingress[p] for p in self.ports_sent)


class Analysis:
    def __init__(self, model: Model, admin_ports: tuple[int, ...] = (22, 3389)) -> None:
        self.model = model
        self.admin_ports = admin_ports
        self._endpoints_per_scope = Counter(e.scope for e in model.endpoints)
        self._complete_groups: dict[tuple[str, ...], Optional[list[SecurityGroup]]] = {}
        self._known_groups: dict[tuple[str, ...], list[SecurityGroup]] = {}

    # -- entities -------------------------------------------------------------------------------
    def active_endpoints(self) -> list[Endpoint]:
        """Endpoints known to be created: the ones the scan judges. A count, for_each or condition that
        cannot be evaluated leaves an endpoint out; every rule about endpoints reports only on these."""
        return [e for e in self.model.endpoints if isinstance(e.instance_count, int) and e.instance_count >= 1]

    def groups(self, keys: tuple[str, ...]) -> Optional[list[SecurityGroup]]:
        """The declared groups behind ``keys``; None when any is outside the scan or not fully read."""
        known = self._complete_groups.get(keys, _UNSEEN)
        if known is _UNSEEN:
            found = [self.model.security_groups.get(k) for k in keys]
            known = None if not keys or any(g is None or not g.complete for g in found) else found
            self._complete_groups[keys] = known  # (asked for every path and port: the model is built)
        return known  # type: ignore[return-value]

    def rules(self, keys: tuple[str, ...], direction: str) -> Optional[list[SgRule]]:
        groups = self.groups(keys)
        if groups is None:
            return None
        return [rule for g in groups for rule in (g.ingress if direction == "ingress" else g.egress)]

    def vpc_ranges(self, vpc_key: object) -> Optional[list[Network]]:
        vpc = self.model.vpcs.get(vpc_key) if isinstance(vpc_key, str) else None
        if vpc is None or not vpc.cidrs_complete or not vpc.cidrs:
            return None
        return vpc.cidrs

    def endpoint_ranges(self, endpoint: Endpoint) -> Optional[list[Network]]:
        """Where the endpoint's network interface takes its address: its subnet, else its VPC."""
        subnet = self.model.subnets.get(endpoint.subnet) if isinstance(endpoint.subnet, str) else None
        if subnet is not None and (is_network(subnet.cidr_v4) or (subnet.cidr_v4 is None and is_network(subnet.cidr_v6))):
            return [c for c in (subnet.cidr_v4, subnet.cidr_v6) if is_network(c)]  # type: ignore[misc]
        return self.vpc_ranges(endpoint.vpc)

    def target_ranges(self, target: Target) -> Optional[list[Network]]:
        """Where the target's addresses come from: its subnets when all are known, else its VPC."""
        subnets = [self.model.subnets.get(k) for k in target.subnets]
        if subnets and target.subnets_complete and all(s is not None and is_network(s.cidr_v4) for s in subnets):
            return [c for s in subnets for c in (s.cidr_v4, s.cidr_v6) if is_network(c)]  # type: ignore[union-attr]
        return self.vpc_ranges(target.vpc)

    # -- which targets an endpoint is meant to reach ---------------------------------------------
    def same_vpc(self, endpoint: Endpoint, target: Target) -> Tri:
        if isinstance(endpoint.vpc, str) and isinstance(target.vpc, str):
            return endpoint.vpc == target.vpc
        # DESIGN.md: an unresolvable VPC is the one of the only endpoint in the same template/module.
        if target.scope == endpoint.scope and self._endpoints_per_scope[endpoint.scope] == 1:
            return True
        return None

    def intent(self, endpoint: Endpoint, target: Target) -> Optional[str]:
        """Why ``target`` is evidently meant to be reached through ``endpoint``, or None."""
        if target.marked is False or self.same_vpc(endpoint, target) is False:
            return None
        endpoint_keys = set(endpoint.security_groups.keys)
        target_keys = set(target.security_groups.keys)
        for group in self.groups_known(endpoint.security_groups.keys):
            for rule in group.egress:
                if rule.peer.sg in target_keys and not rule.implicit:
                    return f"the endpoint's security group {group.name} names its security group {rule.peer.label} in egress"
        for group in self.groups_known(target.security_groups.keys):
            for rule in group.ingress:
                if rule.peer.sg in endpoint_keys and not rule.implicit:
                    return f"its security group {group.name} admits the endpoint's security group {rule.peer.label}"
        # The tag and address ranges say "an endpoint's target", not which endpoint's: only one in the
        # target's own VPC. (A group reference above names the endpoint, even when a VPC is unknown.)
        if not self.same_vpc(endpoint, target):
            return None
        if target.marked:
            return "it is tagged eice-checks:target"
        for group in self.groups_known(target.security_groups.keys):
            for rule in group.ingress:
                if any(rule.allows_tcp(p) for p in self.admin_ports) \
                        and self.admin_ingress_purpose(rule, endpoint, target.public_ip) is None:
                    return f"it admits {rule.describe()} and sits in the endpoint's VPC"
        return None

    def groups_known(self, keys: tuple[str, ...]) -> list[SecurityGroup]:
        known = self._known_groups.get(keys)
        if known is None:
            known = self._known_groups[keys] = [g for g in (self.model.security_groups.get(k) for k in keys)
                                                if g is not None]
        return known

    def admin_ingress_purpose(self, rule: SgRule, endpoint: Endpoint, target_public_ip: Optional[bool]) -> Optional[str]:
        """None when an ingress rule that lets an admin port in is evidently meant for ``endpoint``:
        admin access granted to an address range that endpoint traffic could come from, part of the
        endpoint's VPC (preservation off) or public space (preservation on). Otherwise what it is
        meant for instead: access granted to another group (a bastion's) or to private space outside
        the VPC (a VPN, a peered network) is for something else, so it is not taken as intent."""
        what = rule.describe()
        if rule.implicit:
            return f"{what} is a rule AWS adds, not one written for an endpoint"
        if rule.peer.kind == "sg":
            return f"{what} admits another security group (a bastion's, say), not the endpoint's"
        if rule.peer.kind != "cidr" or rule.peer.cidr is None:
            return f"{what}: its source could not be resolved"
        # Admin ports opened on purpose: TCP with a port range, not "all traffic from the VPC".
        if rule.protocol == "all" or (rule.protocol == "tcp" and rule.ports is not None
                                      and rule.ports[1] - rule.ports[0] >= _CATCH_ALL_SPAN):
            return f"{what} opens every port, not SSH/RDP on purpose"
        if rule.protocol != "tcp" or rule.ports is None:
            return f"the protocol or ports of {what} are not known"
        cidr = rule.peer.cidr
        vpc_ranges = self.vpc_ranges(endpoint.vpc)
        if cidr.version == 4 and can_hold_client_address(cidr, vpc_ranges or ()):
            # preserved client addresses are public IPv4; but a target with a public address of its
            # own is evidently reached directly (a bastion), not through the endpoint
            if target_public_ip is True:
                return f"{what} is public space, and it has a public address of its own: reached directly (a bastion, say)"
            return None
        if vpc_ranges is None:
            return f"{what}: the VPC's address ranges are not known"
        if not self._family_usable(endpoint, cidr):
            return f"{what} is IPv{cidr.version}, which the endpoint ({endpoint.ip_address_type}) does not send from"
        if not any(cidr.overlaps(r) for r in vpc_ranges if r.version == cidr.version):  # type: ignore[arg-type]
            return f"{what} is private space outside the VPC (a VPN or a peered network, say)"
        return None

    @cached_property
    def paths(self) -> list[Path]:
        # Targets indexed by VPC: an endpoint only looks at its own VPC's and at those whose VPC is
        # unknown, which keeps the analysis linear in the number of resources.
        by_vpc: dict[Optional[str], list[Target]] = {}
        for target in self.model.targets:
            if target.exists is True:
                by_vpc.setdefault(target.vpc if isinstance(target.vpc, str) else None, []).append(target)
        everyone = [t for group in by_vpc.values() for t in group]
        result: list[Path] = []
        for endpoint in self.active_endpoints():
            candidates = by_vpc.get(endpoint.vpc, []) + by_vpc.get(None, []) if isinstance(endpoint.vpc, str) else everyone
            for target in candidates:
                reason = self.intent(endpoint, target)
                if reason is not None:
                    result.append(self._path(endpoint, target, reason))
        return result

    def _path(self, endpoint: Endpoint, target: Target, reason: str) -> Path:
        path = Path(endpoint, target, reason)
        mode = self.mode(endpoint)
        egress_known, ingress_known = self.fully_known(endpoint.security_groups), self.fully_known(target.security_groups)
        for port in self.admin_ports:
            path.egress[port], path.egress_rule[port] = self.leg(self.egress_matches(endpoint, target, port), egress_known)
            path.ingress[port], path.ingress_rule[port] = self.leg(
                self.ingress_matches(endpoint, target, port, mode), ingress_known)
        return path

    @staticmethod
    def mode(endpoint: Endpoint) -> Tri:
        """Client IP preservation: on, off, or None when not known."""
        return endpoint.preserve_client_ip if isinstance(endpoint.preserve_client_ip, bool) else None

    def fully_known(self, sgs: SgList) -> bool:
        """Every group of the list, and every rule of each, is known: a leg can then be False."""
        return sgs.complete and self.groups(sgs.keys) is not None

    @staticmethod
    def leg(matches: list[tuple[SgRule, Tri]], complete: bool) -> tuple[Tri, Optional[SgRule]]:
        """A leg's value and the rule that allows it: True with the first rule that lets it through;
        else False when every rule is known (``complete``), else None."""
        for rule, allowed in matches:
            if allowed is True:
                return True, rule
        value = any3(allowed for _, allowed in matches)
        return (value if complete else None), None

    # -- the two legs ---------------------------------------------------------------------------
    def reaches(self, peer: Peer, endpoint: Endpoint, target: Target) -> Tri:
        """Whether an egress rule's destination covers the target."""
        if peer.kind == "sg":
            if peer.sg in target.security_groups.keys:
                return True
            return False if target.security_groups.complete else None
        if peer.kind == "cidr" and peer.cidr is not None:
            if not self._family_usable(endpoint, peer.cidr):
                return False
            if is_world(peer.cidr):
                return True
            ranges = self.target_ranges(target)
            if ranges is None:
                return None
            return covers_all(peer.cidr, [r for r in ranges if r.version == peer.cidr.version])
        return None

    def egress_matches(self, endpoint: Endpoint, target: Target, port: int) -> list[tuple[SgRule, Tri]]:
        """Each known egress rule of the endpoint's groups: does it send TCP ``port`` to the target."""
        return [(rule, and3(rule.allows_tcp(port), self.reaches(rule.peer, endpoint, target)))
                for group in self.groups_known(endpoint.security_groups.keys) for rule in group.egress]

    def ingress_matches(self, endpoint: Endpoint, target: Target, port: int, mode: Tri) -> list[tuple[SgRule, Tri]]:
        """Each known ingress rule of the target's groups: does it admit the endpoint's TCP ``port``
        (mode: client IP preservation)."""
        return [(rule, and3(rule.allows_tcp(port), self.source_matches(rule.peer, endpoint, mode)))
                for group in self.groups_known(target.security_groups.keys) for rule in group.ingress]

    def source_matches(self, peer: Peer, endpoint: Endpoint, mode: Tri) -> Tri:
        if mode is None:
            on, off = self.source_matches(peer, endpoint, True), self.source_matches(peer, endpoint, False)
            return on if on == off else None
        if peer.kind == "sg":
            # A reference to the endpoint's group admits in both modes (seed page).
            if not endpoint.security_groups.complete or not endpoint.security_groups.keys:
                return None
            return peer.sg in endpoint.security_groups.keys
        if peer.kind != "cidr" or peer.cidr is None:
            return None
        if mode:  # the source is the client's public IPv4 address
            return peer.cidr.version == 4 and can_hold_client_address(peer.cidr, self.vpc_ranges(endpoint.vpc) or ())
        if not self._family_usable(endpoint, peer.cidr):  # the source is the endpoint's interface
            return False
        if is_world(peer.cidr):
            return True
        ranges = self.endpoint_ranges(endpoint)
        if ranges is None:
            return None
        return covers_all(peer.cidr, [r for r in ranges if r.version == peer.cidr.version])

    @staticmethod
    def _family_usable(endpoint: Endpoint, cidr: Network) -> bool:
        ip_type = endpoint.ip_address_type if isinstance(endpoint.ip_address_type, str) else "dualstack"
        return ip_type == "dualstack" or (cidr.version == 6) == (ip_type == "ipv6")

    def reaches_anything(self, endpoint: Endpoint) -> Tri:
        """Whether the endpoint's egress lets any admin port out toward its VPC at all."""
        egress = self.rules(endpoint.security_groups.keys, "egress") if endpoint.security_groups.complete else None
        if egress is None:
            return None
        vpc_ranges = self.vpc_ranges(endpoint.vpc)

        def toward_vpc(peer: Peer) -> Tri:
            if peer.kind == "sg":
                return True
            if peer.kind != "cidr" or peer.cidr is None:
                return None
            if not self._family_usable(endpoint, peer.cidr):
                return False
            if is_world(peer.cidr) or vpc_ranges is None:
                return True if is_world(peer.cidr) else None
            return any(peer.cidr.overlaps(r) for r in vpc_ranges if r.version == peer.cidr.version)  # type: ignore[arg-type]

        return any3(and3(rule.allows_tcp(port), toward_vpc(rule.peer)) for rule in egress for port in self.admin_ports)

    def egress_verdict(self, path: Path) -> str:
        """"missing" (EICE001: nothing lets an admin port out toward the target, or toward the VPC at
        all), "ok" (some port gets out) or "unknown"."""
        if self.reaches_anything(path.endpoint) is False or all(a is False for a in path.egress.values()):
            return "missing"
        return "ok" if any(a is True for a in path.egress.values()) else "unknown"

    # -- verdict on the target leg, shared by EICE002 and EICE003 --------------------------------
    def ingress_verdict(self, path: Path) -> tuple[str, Optional[SgRule]]:
        """"ok", "unknown", "mismatch" (with the CIDR rule that would admit under the other
        preservation mode) or "missing" (nothing would admit the endpoint in either mode)."""
        admitted = path.admitted
        if admitted is not False:
            return ("ok" if admitted else "unknown"), None
        mode = path.endpoint.preserve_client_ip
        if isinstance(mode, bool):
            for rule in self.rules(path.target.security_groups.keys, "ingress") or []:
                if any(rule.allows_tcp(p) for p in path.ports_sent) and rule.peer.kind == "cidr" \
                        and self.source_matches(rule.peer, path.endpoint, not mode):
                    return "mismatch", rule
        return "missing", None

    def admin_ingress_rules(self, target: Target, ports: Iterable[int]) -> list[SgRule]:
        """The target's known ingress rules that let TCP on any of ``ports`` in, from whatever source
        (of groups not fully known too: a rule that is there is there)."""
        ports = list(ports)
        return [r for g in self.groups_known(target.security_groups.keys) for r in g.ingress
                if any(r.allows_tcp(p) for p in ports)]
