"""ModelBuilder: the one place where platform semantics turn declared resources into effective rules."""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Optional, Union

from .acls import AclCollector
from .addresses import is_network, parse_cidr
from .network import (
    ALL_PORTS, Endpoint, Location, Model, Peer, PrefixList, SecurityGroup, SgList, SgRule, Subnet, Target, Vpc,
    default_sg_key,
)
from .values import EntityRef, Unknown, is_unknown, shown

_LAUNCH_KINDS = ("launch_template", "launch_configuration")
_PROTOCOLS = {"-1": "all", "all": "all", "tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp",
              "icmp": "icmp", "1": "icmp", "icmpv6": "icmpv6", "58": "icmpv6"}


def normalize_protocol(value: Any) -> Optional[str]:
    """Protocol name as the rules use it; any other IP protocol number only carries that protocol."""
    if isinstance(value, bool) or value is None or is_unknown(value):
        return None
    text = shown(value).strip().lower()
    if text in _PROTOCOLS:
        return _PROTOCOLS[text]
    return "other" if text.isdigit() else None


def _port(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        try:
            return int(value)
        except ValueError:  # digits int() refuses: past 4300 of them, or not ASCII ("²")
            return None
    return None


def normalize_ports(protocol: Optional[str], from_port: Any, to_port: Any) -> Optional[tuple[int, int]]:
    """The inclusive port range a rule covers; protocol "all" covers every port whatever range is written."""
    if protocol == "all":
        return ALL_PORTS
    low, high = _port(from_port), _port(to_port)
    if low is None or high is None:
        return None
    if low == -1 and high == -1:  # EC2 reads -1 as "all" for the port-less forms
        return ALL_PORTS
    return (max(low, 0), min(high, 65535))


class ModelBuilder:
    def __init__(self) -> None:
        self.model = Model()
        self._rules: list[tuple[str, SgRule]] = []
        self._incomplete: set[str] = set()
        self._incomplete_scopes: set[str] = set()
        self._handed_out: set[str] = set()
        self._handed_out_always: set[str] = set()
        self._unattributed_rules = False
        self._public_targets: set[str] = set()
        self._lookups: list[tuple[Optional[str], dict]] = []
        self._egress_declared: set[str] = set()
        self._vpc_cidrs: list[tuple[str, Any]] = []
        self._subnet_ipv6: list[tuple[Any, bool]] = []
        self._prefix_list_entries: list[tuple[Any, Any, bool]] = []
        self._prefix_list_scopes: set[str] = set()
        self._unattributed_entries = False
        self._placements: list[tuple[Any, list[Any], str, bool]] = []
        self._launch_names: dict[str, list[tuple[str, str]]] = {}
        self.acls = AclCollector(self.model)  # network ACLs, their entries and associations

    # -- declarations -------------------------------------------------------------------------
    def add_vpc(self, vpc: Vpc) -> None:
        self.model.vpcs[vpc.key] = vpc

    def add_vpc_cidr(self, vpc_key: Any, cidr: Any) -> None:
        """A primary or associated CIDR; an unknown one makes the VPC's ranges incomplete."""
        self._vpc_cidrs.append((vpc_key, cidr))

    def add_subnet(self, subnet: Subnet) -> None:
        self.model.subnets[subnet.key] = subnet

    def add_subnet_ipv6(self, subnet_key: Any, certain: bool = True) -> None:
        """An IPv6 range associated with a subnet by a resource of its own (``certain`` unless conditional)."""
        self._subnet_ipv6.append((subnet_key, certain))

    def mark_public(self, target_key: Any) -> None:
        """An Elastic IP is associated with the target: it is reachable directly."""
        if isinstance(target_key, str):
            self._public_targets.add(target_key)

    def add_security_group(self, group: SecurityGroup) -> None:
        self.model.security_groups[group.key] = group

    def add_rule(self, group_key: str, rule: SgRule) -> None:
        """A rule for a group that may be declared before or after it (standalone rule resources)."""
        self._rules.append((group_key, rule))
        if rule.direction == "egress":
            self._egress_declared.add(group_key)

    def declare_egress(self, group_key: str) -> None:
        """Egress was written for the group, even if no rule of it could be read: no default egress."""
        self._egress_declared.add(group_key)

    def mark_incomplete(self, key: str) -> None:
        """A group's rules, or a prefix list's entries, cannot all be read: nothing is concluded from them."""
        self._incomplete.add(key)

    def mark_scope_incomplete(self, scope: str) -> None:
        """A rule whose group cannot be resolved may belong to any group of its template/module."""
        self._incomplete_scopes.add(f"{scope}#")

    def mark_scope_unread(self, scope: str) -> None:
        """Part of a template/module is not read as deployed (a file that cannot be parsed, a transform):
        any group or prefix list of it may have more rules or entries than the scan sees."""
        self.mark_scope_incomplete(scope)
        self._prefix_list_scopes.add(f"{scope}#")
        self.acls.mark_scope_unread(scope)

    def add_prefix_list(self, prefix_list: PrefixList) -> None:
        self.model.prefix_lists[prefix_list.key] = prefix_list

    def add_prefix_list_entry(self, prefix_list_key: Any, cidr: Any, inline: bool) -> None:
        """An entry written in the prefix list (``inline``) or added by an entry resource; a CIDR that
        cannot be read makes the list not fully known."""
        self._prefix_list_entries.append((prefix_list_key, cidr, inline))

    def note_unattributed_entry(self, scope: str) -> None:
        """An entry resource names a prefix list that cannot be resolved: it may add to any prefix list
        of its template/module, or to one the scan hands out."""
        self._prefix_list_scopes.add(f"{scope}#")
        self._unattributed_entries = True

    def name_launch_source(self, key: str, name: Any, scope: str) -> None:
        """The name a launch template or configuration is created with, for groups that name it."""
        if isinstance(name, str) and name:
            self._launch_names.setdefault(name, []).append((scope, key))

    def place(self, launched: Any, subnets: list[Any], scope: str, by_name: bool = False) -> None:
        """An Auto Scaling group of ``scope`` launches ``launched`` (a launch template or configuration:
        a reference or literal id, or its name when ``by_name``) into ``subnets``."""
        self._placements.append((launched, subnets, scope, by_name))

    def note_unattributed_rule(self) -> None:
        """A rule for a group that cannot be resolved (a parameter, a module input): it may add to any
        group whose id the scan hands out (see ``hand_out``)."""
        self._unattributed_rules = True

    def note_lookup(self, name: Optional[str], tags: dict) -> None:
        """A rule targets a group looked up by name and/or tags (a data source): every group of the
        scan that fits may get that rule."""
        self._lookups.append((name, tags))

    def hand_out(self, value: Any, always: bool) -> None:
        """Group and prefix list ids in ``value`` leave this code: as inputs of a module or nested stack
        that is not analysed (``always``: rules or entries may be added there), or as outputs other
        stacks may use."""
        for key in _entity_keys(value, ("sg", "prefix_list", "nacl")):
            (self._handed_out_always if always else self._handed_out).add(key)

    def add_endpoint(self, endpoint: Endpoint) -> None:
        self.model.endpoints.append(endpoint)

    def add_target(self, target: Target) -> None:
        self.model.targets.append(target)

    # -- semantics ----------------------------------------------------------------------------
    def finish(self) -> Model:
        self._attach_vpc_cidrs()
        for key, certain in self._subnet_ipv6:
            subnet = self.model.subnets.get(key) if isinstance(key, str) else None
            if subnet is not None and subnet.cidr_v6 is None:
                subnet.cidr_v6 = Unknown("IPv6 CIDR associated separately", computed=certain)
        self._attach_prefix_list_entries()
        self._attach_rules()
        self._apply_cloudformation_default_egress()
        self._apply_placements()
        self.acls.finish(self._handed_out_always)
        for endpoint in self.model.endpoints:
            endpoint.vpc = self._vpc_of(endpoint.subnet, endpoint.security_groups.keys)
            if endpoint.ip_address_type is None:
                self._derive_ip_address_type(endpoint)
            self._default_group_if_none(endpoint.security_groups, endpoint.vpc, endpoint.tool, endpoint.location)
        for target in self.model.targets:
            subnet = target.subnets[0] if target.subnets else None
            target.vpc = self._vpc_of(subnet, target.security_groups.keys)
            target.public_ip = self._public_ip(target)
            self._default_group_if_none(target.security_groups, target.vpc, target.tool, target.location)
        return self.model

    def _attach_vpc_cidrs(self) -> None:
        for vpc_key, cidr in self._vpc_cidrs:
            vpc = self.model.vpcs.get(vpc_key) if isinstance(vpc_key, str) else None
            if vpc is None:
                continue
            network = parse_cidr(cidr)
            if network is None:
                vpc.cidrs_complete = False
            elif network not in vpc.cidrs:
                vpc.cidrs.append(network)
        # A subnet outside every range the scan gives its VPC proves a range associated elsewhere.
        for subnet in self.model.subnets.values():
            vpc = self.model.vpcs.get(subnet.vpc) if isinstance(subnet.vpc, str) else None
            if vpc is not None and is_network(subnet.cidr_v4) and not any(
                    subnet.cidr_v4.subnet_of(c) for c in vpc.cidrs if c.version == 4):  # type: ignore[union-attr, arg-type]
                vpc.cidrs_complete = False

    def _attach_prefix_list_entries(self) -> None:
        lists = self.model.prefix_lists
        written: dict[str, set[bool]] = {}  # prefix list -> inline and/or by entry resources
        for key, cidr, inline in self._prefix_list_entries:
            prefix_list = lists.get(key) if isinstance(key, str) else None
            if prefix_list is None:
                continue  # a prefix list outside the scan: its other entries are not known
            written.setdefault(prefix_list.key, set()).add(inline)
            network = parse_cidr(cidr)
            if network is None:
                prefix_list.complete = False
            elif network not in prefix_list.cidrs:
                prefix_list.cidrs.append(network)
        handed_out = self._handed_out_always | (self._handed_out if self._unattributed_entries else set())
        scopes = tuple(self._prefix_list_scopes)
        for prefix_list in lists.values():
            # No entry in the scan says what it holds; inline entries and entry resources on one list
            # overwrite each other (provider docs); or entries may be added where the scan cannot see.
            if len(written.get(prefix_list.key, ())) != 1 or prefix_list.key in self._incomplete \
                    or prefix_list.key in handed_out or (scopes and prefix_list.key.startswith(scopes)):
                prefix_list.complete = False

    def _resolve_prefix_list(self, rule: SgRule) -> list[SgRule]:
        """A rule naming a prefix list the scan fully knows is a rule for each of its CIDRs, named as written."""
        key = rule.peer.prefix_list if rule.peer.kind == "prefix_list" else None
        prefix_list = self.model.prefix_lists.get(key) if key else None
        if prefix_list is None or not prefix_list.complete:
            return [rule]  # unknown: nothing is concluded from it
        return [replace(rule, peer=Peer("cidr", f"{rule.peer.label} ({cidr})", cidr=cidr, prefix_list=key))
                for cidr in prefix_list.cidrs]

    def _attach_rules(self) -> None:
        groups = self.model.security_groups
        for group_key, rule in self._rules:
            group = groups.get(group_key)
            if group is not None:  # a rule for a group outside the scan tells nothing we could use
                (group.ingress if rule.direction == "ingress" else group.egress).extend(self._resolve_prefix_list(rule))
        for key in self._incomplete:
            if key in groups:
                groups[key].complete = False
        incomplete = self._handed_out_always | (self._handed_out if self._unattributed_rules else set())
        for group in groups.values():
            if group.key in incomplete or (self._incomplete_scopes and group.key.startswith(tuple(self._incomplete_scopes))) \
                    or any(_fits(group, name, tags) for name, tags in self._lookups):
                group.complete = False

    def _apply_cloudformation_default_egress(self) -> None:
        # CloudFormation keeps EC2's allow-all egress unless the group gets egress of its own,
        # inline or standalone; Terraform always removes it (FACTS.md).
        for group in self.model.security_groups.values():
            if group.tool == "cloudformation" and group.key not in self._egress_declared and not group.assumed:
                group.egress.extend(_allow_all_egress(group))

    def _apply_placements(self) -> None:
        """Auto Scaling groups place the instances of their launch templates/configurations: those
        targets take the group's subnets (before any their network interfaces name)."""
        placed: dict[str, list[Any]] = {}
        for launched, subnets, scope, by_name in self._placements:
            for key in self._launched_keys(launched, scope, by_name):
                placed.setdefault(key, []).extend(subnets)
        for target in self.model.targets:
            if target.kind not in ("launch template", "launch configuration") or target.key not in placed:
                continue
            keys = [entity_key(s, "subnet") for s in placed[target.key] if s is not None]
            known = tuple(dict.fromkeys(k for k in keys if isinstance(k, str)))
            target.subnets = known + tuple(s for s in target.subnets if s not in known)
            target.subnets_complete = target.subnets_complete and all(isinstance(k, str) for k in keys)

    def _launched_keys(self, launched: Any, scope: str, by_name: bool) -> list[str]:
        if by_name:  # names are unique per region: the one of the group's own scope, else the only one
            found = self._launch_names.get(launched, []) if isinstance(launched, str) else []
            local = [key for s, key in found if s == scope]
            return local or ([found[0][1]] if len(found) == 1 else [])
        if isinstance(launched, EntityRef):
            return [launched.key] if launched.kind in _LAUNCH_KINDS else []
        return [launched] if isinstance(launched, str) and launched else []  # a literal id

    def _vpc_of(self, subnet_key: Any, group_keys: tuple[str, ...]) -> Union[str, Unknown]:
        subnet = self.model.subnets.get(subnet_key) if isinstance(subnet_key, str) else None
        if subnet is not None and isinstance(subnet.vpc, str):
            return subnet.vpc
        for key in group_keys:
            group = self.model.security_groups.get(key)
            if group is not None and isinstance(group.vpc, str):
                return group.vpc
        return Unknown("VPC not resolvable")

    def _public_ip(self, target: Target) -> Optional[bool]:
        if target.key in self._public_targets:
            return True
        if target.public_ip is None and target.subnets:
            subnets = [self.model.subnets.get(k) for k in target.subnets]
            if all(s is not None and s.maps_public_ip for s in subnets):
                return True  # a public subnet's default, not overridden by the target
        return target.public_ip

    def _derive_ip_address_type(self, endpoint: Endpoint) -> None:
        """EC2 API: an endpoint created without a type takes its subnet's: dualstack when the subnet has
        IPv4 and IPv6 CIDRs, ipv4 or ipv6 when it has only one family."""
        subnet = self.model.subnets.get(endpoint.subnet) if isinstance(endpoint.subnet, str) else None
        states = {"IPv4": _presence(subnet.cidr_v4), "IPv6": _presence(subnet.cidr_v6)} if subnet else {}
        if not states or None in states.values() or not any(states.values()):
            endpoint.ip_address_type = Unknown("the subnet's address families are not known")
            return
        families = [family for family, present in states.items() if present]
        endpoint.ip_address_type = "dualstack" if len(families) == 2 else families[0].lower()
        endpoint.ip_address_type_derived = f"the type of its subnet {subnet.name}, which has {' and '.join(families)} CIDRs"

    def _default_group_if_none(self, sgs: SgList, vpc_key: Union[str, Unknown], tool: str, location: Location) -> None:
        """A resource that names no group gets its VPC's default group; AWS's rules are assumed unless managed."""
        if sgs.keys or not sgs.complete or not isinstance(vpc_key, str):
            return
        key = default_sg_key(vpc_key)
        if key not in self.model.security_groups:
            vpc = self.model.vpcs.get(vpc_key)
            group = SecurityGroup(key, f"default security group of {vpc.name if vpc else vpc_key}",
                                  vpc.location if vpc else location, tool, vpc_key, assumed=True)
            group.ingress.append(SgRule("ingress", "all", ALL_PORTS, Peer.of_sg(key, "itself"), group.location,
                                        group.name, implicit=True))
            group.egress.extend(_allow_all_egress(group))
            self.model.security_groups[key] = group
        sgs.keys = (key,)
        sgs.defaulted = True


def public_ip_flag(flags: list[Optional[bool]]) -> Optional[bool]:
    """Whether network interface settings give a public address: any True; else False when one says
    so explicitly (overriding the subnet's default); else not known."""
    if True in flags:
        return True
    return False if False in flags else None


def _fits(group: SecurityGroup, name: Optional[str], tags: dict) -> bool:
    return (name is None or group.group_name == name) and all(group.tags.get(k) == v for k, v in tags.items())


def _entity_keys(value: Any, kinds: tuple[str, ...]) -> list[str]:
    if isinstance(value, EntityRef):
        return [value.key] if value.kind in kinds else []
    if isinstance(value, list):
        return [k for v in value for k in _entity_keys(v, kinds)]
    if isinstance(value, dict):
        return [k for v in value.values() for k in _entity_keys(v, kinds)]
    return []


def _presence(cidr: Any) -> Optional[bool]:
    """Whether a subnet has a CIDR of a family: a known one or one computed at deploy time does; an
    unresolved value (a variable, a condition) may or may not be there."""
    if cidr is None:
        return False
    return True if is_network(cidr) or (isinstance(cidr, Unknown) and cidr.computed) else None


def _allow_all_egress(group: SecurityGroup) -> list[SgRule]:
    return [SgRule("egress", "all", ALL_PORTS, Peer.of_cidr(cidr), group.location, group.name, implicit=True)
            for cidr in ("0.0.0.0/0", "::/0")]


def network_or_unknown(value: Any) -> Any:
    """A CIDR property: a network, None when absent, Unknown when it cannot be read as a CIDR."""
    if value is None or is_unknown(value):
        return value
    network = parse_cidr(value)
    return network if network is not None else Unknown(f"not a CIDR: {value!r}")


def security_group_list(values: list[Any], location: Location) -> SgList:
    """The groups that one or more resolved properties name (lists of references or literal ids)."""
    keys: list[str] = []
    complete = True
    for value in values:
        for item in value if isinstance(value, list) else [value]:
            key = entity_key(item, "sg")
            if isinstance(key, str):
                keys.append(key)
            else:
                complete = False
    return SgList(tuple(keys), complete, True, location)


def entity_key(value: Any, kind: str) -> Union[str, Unknown, None]:
    """The key of an entity a property names: a reference, a literal AWS id, or Unknown."""
    if isinstance(value, EntityRef):
        return value.key if value.kind == kind else Unknown(f"expected a {kind}, got a {value.kind}")
    if isinstance(value, str) and value:
        return value  # a literal id (sg-..., subnet-..., vpc-...) of something outside the scan
    if value is None:
        return None
    return value if is_unknown(value) else Unknown(f"not a {kind} id: {value!r}")
