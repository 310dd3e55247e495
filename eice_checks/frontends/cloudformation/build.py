"""CloudFormation templates -> the network model."""
from __future__ import annotations

from typing import Any, Callable, Optional

from ...model.acls import NetworkAcl, acl_entry
from ...model.builder import (
    ModelBuilder, entity_key, network_or_unknown, normalize_ports, normalize_protocol, public_ip_flag,
    security_group_list,
)
from ...model.network import Endpoint, Location, Peer, PrefixList, SecurityGroup, SgList, SgRule, Subnet, Target, Vpc
from ...model.values import EntityRef, Unknown, is_unknown
from ..common import TARGET_TAG, display_name, target_tag_flag
from .loader import LineDict
from .resolve import NO_VALUE, Resolver, Template, exposed

TOOL = "cloudformation"
# Which property carries the peer of a rule, by direction; "SourceSecurityGroupName" names a group
# by name (default VPC, or another account): its identity cannot be matched, so it stays unknown.
_NESTED_STACKS = ("AWS::CloudFormation::Stack", "AWS::Serverless::Application")
# Transforms that leave security groups as written; any other (a macro, LanguageExtensions'
# Fn::ForEach) may add or rewrite resources.
_KNOWN_TRANSFORMS = {"AWS::Serverless-2016-10-31"}
_INGRESS_PEERS = ("CidrIp", "CidrIpv6", "SourcePrefixListId", "SourceSecurityGroupId", "SourceSecurityGroupName")
_EGRESS_PEERS = ("CidrIp", "CidrIpv6", "DestinationPrefixListId", "DestinationSecurityGroupId")


# The method of TemplateBuilder that adds each resource type to the model (by name: a table of
# bound methods in each builder would make it a reference cycle, freed only by the collector).
_HANDLERS: dict[str, str] = {
    "AWS::EC2::VPC": "_vpc", "AWS::EC2::VPCCidrBlock": "_vpc_cidr_block",
    "AWS::EC2::Subnet": "_subnet", "AWS::EC2::SubnetCidrBlock": "_subnet_cidr_block",
    "AWS::EC2::SecurityGroup": "_security_group",
    "AWS::EC2::SecurityGroupIngress": "_standalone_rule", "AWS::EC2::SecurityGroupEgress": "_standalone_rule",
    "AWS::EC2::InstanceConnectEndpoint": "_endpoint", "AWS::EC2::Instance": "_instance",
    "AWS::EC2::LaunchTemplate": "_launch_template", "AWS::AutoScaling::LaunchConfiguration": "_launch_configuration",
    "AWS::EC2::NetworkInterface": "_network_interface", "AWS::EC2::EIP": "_elastic_ip",
    "AWS::EC2::EIPAssociation": "_elastic_ip", "AWS::AutoScaling::AutoScalingGroup": "_auto_scaling_group",
    "AWS::EC2::PrefixList": "_prefix_list",
    "AWS::EC2::NetworkAcl": "_network_acl", "AWS::EC2::NetworkAclEntry": "_network_acl_entry",
    "AWS::EC2::SubnetNetworkAclAssociation": "_network_acl_association",
}


class TemplateBuilder:
    """Adds one template's resources to the shared model."""

    def __init__(self, template: Template, resolver: Resolver, builder: ModelBuilder) -> None:
        self.t = template
        self.r = resolver
        self.b = builder

    def build(self) -> None:
        if _rewritten_by_a_transform(self.t):
            self.b.mark_scope_unread(self.t.path)  # the deployed template differs from this one
        for logical_id, resource in self.t.resources.items():
            if isinstance(resource, dict):
                with self.r.resolving(str(logical_id)):  # notes about limits name the resource
                    self._build(logical_id, resource)
        outputs = self.t.body.get("Outputs")
        for key, output in outputs.items() if isinstance(outputs, dict) else ():
            if isinstance(output, dict) and "Value" in output:
                with self.r.resolving(f"Outputs.{key}"):
                    self.b.hand_out(exposed(self.r.read(output["Value"])), always=False)

    def _build(self, logical_id: str, resource: LineDict) -> None:
        resource_type = str(resource.get("Type"))
        if resource_type in _NESTED_STACKS and self._exists(logical_id) is not False:
            # groups passed to a nested stack may get rules there, which this scan does not read
            self.b.hand_out(exposed(self._value(self.t.properties(logical_id), "Parameters")), always=True)
        name = _HANDLERS.get(resource_type)
        handler: Optional[Callable[[str, LineDict, Location], None]] = getattr(self, name) if name else None
        if handler and self._exists(logical_id) is not False:
            handler(logical_id, self.t.properties(logical_id), self._loc(self.t.resources.line_of(logical_id)))

    # -- helpers --------------------------------------------------------------------------------
    def _loc(self, line: int) -> Location:
        return Location(self.t.path, line)

    def _value(self, props: dict, name: str) -> Any:
        """A property's value, resolved (see Resolver.read: what the model reads is paid for)."""
        return self.r.read(props[name]) if name in props else None

    def _prop_loc(self, props: LineDict, name: str, fallback: Location) -> Location:
        return self._loc(props.line_of(name)) if name in props else fallback

    def _exists(self, logical_id: str) -> Optional[bool]:
        """Whether the resource is created: its Condition evaluated with the parameters' values."""
        resource = self.t.resources[logical_id]
        if "Condition" not in resource:
            return True
        created = self.r.condition(resource["Condition"])
        return created if isinstance(created, bool) else None

    def _sg_list(self, props: LineDict, names: tuple[str, ...], fallback: Location) -> SgList:
        present = [n for n in names if n in props]
        if not present:
            return SgList((), True, given=False, location=fallback)
        values = [v for v in (self._value(props, n) for n in present) if v is not NO_VALUE]
        return security_group_list(values, self._prop_loc(props, present[0], fallback))

    def _tagged(self, props: LineDict) -> Optional[bool]:
        tags = self.r.read(props.get("Tags", []))
        items = tags if isinstance(tags, list) else []
        if isinstance(props.get("LaunchTemplateData"), dict):  # launch templates tag via TagSpecifications
            items = items + [t for spec in (self.r.read(props["LaunchTemplateData"].get("TagSpecifications", [])) or [])
                             if isinstance(spec, dict) for t in (spec.get("Tags") or [])]
        values = [t.get("Value") for t in items if isinstance(t, dict) and t.get("Key") == TARGET_TAG]
        return target_tag_flag(values[0]) if values else None

    # -- network --------------------------------------------------------------------------------
    def _vpc(self, logical_id: str, props: LineDict, loc: Location) -> None:
        key = self.t.key(logical_id)
        self.b.add_vpc(Vpc(key, logical_id, loc))
        self.b.add_vpc_cidr(key, self._value(props, "CidrBlock") if "CidrBlock" in props else Unknown("IPAM-assigned"))

    def _vpc_cidr_block(self, logical_id: str, props: LineDict, loc: Location) -> None:
        vpc = entity_key(self._value(props, "VpcId"), "vpc")
        if "CidrBlock" in props or "Ipv4IpamPoolId" in props:
            self.b.add_vpc_cidr(vpc, self._value(props, "CidrBlock") if "CidrBlock" in props else Unknown("IPAM-assigned"))

    def _subnet(self, logical_id: str, props: LineDict, loc: Location) -> None:
        vpc = entity_key(self._value(props, "VpcId"), "vpc")
        subnet = Subnet(self.t.key(logical_id), logical_id, loc, vpc if vpc is not None else Unknown("no VpcId"))
        subnet.cidr_v4 = network_or_unknown(_present(self._value(props, "CidrBlock")))
        if subnet.cidr_v4 is None and _present(self._value(props, "Ipv6Native")) not in (True, "true"):
            subnet.cidr_v4 = Unknown("IPAM-assigned", computed=True)
        subnet.cidr_v6 = network_or_unknown(_present(self._value(props, "Ipv6CidrBlock")))
        if subnet.cidr_v6 is None and ("Ipv6CidrBlocks" in props or "Ipv6IpamPoolId" in props):
            subnet.cidr_v6 = Unknown("IPv6 CIDR list or IPAM pool", computed=True)
        subnet.maps_public_ip = _present(self._value(props, "MapPublicIpOnLaunch")) in (True, "true")
        self.b.add_subnet(subnet)

    def _subnet_cidr_block(self, logical_id: str, props: LineDict, loc: Location) -> None:
        self.b.add_subnet_ipv6(entity_key(self._value(props, "SubnetId"), "subnet"), certain=self._exists(logical_id) is True)

    # -- security groups ------------------------------------------------------------------------
    def _security_group(self, logical_id: str, props: LineDict, loc: Location) -> None:
        key = self.t.key(logical_id)
        vpc = entity_key(self._value(props, "VpcId"), "vpc")
        name, tags = self._value(props, "GroupName"), self._value(props, "Tags")
        tag_map = {t.get("Key"): t.get("Value") for t in tags if isinstance(t, dict)} if isinstance(tags, list) else {}
        self.b.add_security_group(SecurityGroup(
            key, logical_id, loc, TOOL, vpc if vpc is not None else Unknown("default VPC"),
            group_name=name if isinstance(name, str) else None, tags=tag_map))
        for direction, prop in (("ingress", "SecurityGroupIngress"), ("egress", "SecurityGroupEgress")):
            rules = self.r.read(props[prop]) if prop in props else NO_VALUE
            if rules is NO_VALUE:
                continue
            if direction == "egress":
                self.b.declare_egress(key)
            if not isinstance(rules, list):
                self.b.mark_incomplete(key)
                continue
            raw_rules = props[prop] if isinstance(props[prop], list) else []
            for index, rule in enumerate(rules):
                raw = raw_rules[index] if index < len(raw_rules) and isinstance(raw_rules[index], LineDict) else LineDict(props.line_of(prop))
                self._add_rule(key, direction, rule, raw, logical_id)

    def _standalone_rule(self, logical_id: str, props: LineDict, loc: Location) -> None:
        direction = "egress" if self.t.resource_type(logical_id) == "AWS::EC2::SecurityGroupEgress" else "ingress"
        group = entity_key(self._value(props, "GroupId"), "sg")
        if is_unknown(group) or "GroupName" in props:
            self.b.mark_scope_incomplete(self.t.path)  # it may add to any group of this template...
            self.b.note_unattributed_rule()  # ...or to a group another stack hands out
        if not isinstance(group, str):
            return
        if self._exists(logical_id) is None:
            self.b.mark_incomplete(group)  # created or not depending on a condition: nothing is concluded
            return
        if direction == "egress":
            self.b.declare_egress(group)
        resolved = {k: self.r.read(v) for k, v in props.items()}
        self._add_rule(group, direction, resolved, props, logical_id)

    def _add_rule(self, group_key: str, direction: str, rule: Any, raw: LineDict, origin: str) -> None:
        if not isinstance(rule, dict):
            self.b.mark_incomplete(group_key)
            return
        protocol = normalize_protocol(rule.get("IpProtocol"))
        ports = normalize_ports(protocol, rule.get("FromPort"), rule.get("ToPort"))
        for name in (_INGRESS_PEERS if direction == "ingress" else _EGRESS_PEERS):
            value = rule.get(name, NO_VALUE)
            if value is NO_VALUE or value is None:
                continue
            location = self._loc(raw.line_of(name))
            self.b.add_rule(group_key, SgRule(direction, protocol, ports, self._peer(name, value), location, origin))

    def _peer(self, prop: str, value: Any) -> Peer:
        label = display_name(value)
        if prop.startswith("Cidr"):
            return Peer.of_cidr(value, label) if isinstance(value, str) else Peer("unknown", label)
        if prop.endswith("SecurityGroupId"):
            key = entity_key(value, "sg")
            return Peer.of_sg(key, label) if isinstance(key, str) else Peer("unknown", label)
        if prop.endswith("PrefixListId"):
            return Peer.of_prefix_list(entity_key(value, "prefix_list"), label)
        return Peer("unknown", label)

    def _prefix_list(self, logical_id: str, props: LineDict, loc: Location) -> None:
        key = self.t.key(logical_id)
        self.b.add_prefix_list(PrefixList(key, logical_id, loc))
        entries = self._value(props, "Entries")
        if self._exists(logical_id) is None or not isinstance(entries, list):
            self.b.mark_incomplete(key)  # created or not depending on a condition, or entries not readable
            return
        for entry in entries:
            if entry is not NO_VALUE:
                self.b.add_prefix_list_entry(key, entry.get("Cidr") if isinstance(entry, dict) else entry, inline=True)

    # -- network ACLs ---------------------------------------------------------------------------
    def _network_acl(self, logical_id: str, props: LineDict, loc: Location) -> None:
        vpc = entity_key(self._value(props, "VpcId"), "vpc")
        key = self.t.key(logical_id)
        self.b.acls.add_acl(NetworkAcl(key, logical_id, loc, vpc if isinstance(vpc, str) else Unknown("no VpcId")))
        if self._exists(logical_id) is not True:
            self.b.acls.mark_incomplete(key)

    def _network_acl_entry(self, logical_id: str, props: LineDict, loc: Location) -> None:
        ports = self._value(props, "PortRange")
        ports = ports if isinstance(ports, dict) else {}
        cidr = self._value(props, "CidrBlock") or self._value(props, "Ipv6CidrBlock")
        egress = self._value(props, "Egress")
        entry = acl_entry(self._value(props, "RuleNumber"), False if egress is None else egress,
                          self._value(props, "RuleAction"), self._value(props, "Protocol"),
                          ports.get("From"), ports.get("To"), cidr, loc, logical_id)
        self.b.acls.add_entry(self._value(props, "NetworkAclId"), entry, self.t.path,
                              certain=self._exists(logical_id) is True)

    def _network_acl_association(self, logical_id: str, props: LineDict, loc: Location) -> None:
        if self._exists(logical_id) is not True:
            subnet = self._value(props, "SubnetId")
            self.b.acls.associate(subnet, Unknown("conditional association"), loc)
            return
        self.b.acls.associate(self._value(props, "SubnetId"), self._value(props, "NetworkAclId"), loc)

    # -- endpoint and targets -------------------------------------------------------------------
    def _endpoint(self, logical_id: str, props: LineDict, loc: Location) -> None:
        preserve = self._value(props, "PreserveClientIp")
        explicit = preserve is not None and preserve is not NO_VALUE
        if not explicit:
            preserve = False  # the CloudFormation / EC2 API default (FACTS.md)
        elif not isinstance(preserve, bool):
            preserve = _as_bool(preserve)
        subnet = entity_key(self._value(props, "SubnetId"), "subnet")
        exists = self._exists(logical_id)
        self.b.add_endpoint(Endpoint(
            self.t.key(logical_id), logical_id, self.t.path, TOOL, loc,
            subnet=subnet if subnet is not None else Unknown("no SubnetId"),
            security_groups=self._sg_list(props, ("SecurityGroupIds",), loc),
            preserve_client_ip=preserve, preserve_explicit=explicit,
            preserve_location=self._prop_loc(props, "PreserveClientIp", loc),
            instance_count=1 if exists else Unknown("conditional resource"),
        ))

    def _add_target(self, logical_id: str, kind: str, loc: Location, sgs: SgList, subnets: list[Any], props: LineDict,
                    public_ip: Optional[bool] = None) -> None:
        keys = [entity_key(s, "subnet") for s in subnets if s is not None and s is not NO_VALUE]
        self.b.add_target(Target(
            self.t.key(logical_id), logical_id, self.t.path, TOOL, kind, loc, sgs,
            subnets=tuple(k for k in keys if isinstance(k, str)),
            subnets_complete=all(isinstance(k, str) for k in keys),
            marked=self._tagged(props), exists=self._exists(logical_id), public_ip=public_ip,
        ))

    def _elastic_ip(self, logical_id: str, props: LineDict, loc: Location) -> None:
        for name in ("InstanceId", "NetworkInterfaceId"):
            holder = self._value(props, name)
            if isinstance(holder, EntityRef):
                self.b.mark_public(holder.key)

    def _instance(self, logical_id: str, props: LineDict, loc: Location) -> None:
        sgs = self._sg_list(props, ("SecurityGroupIds", "SecurityGroups"), loc)
        subnets = [self._value(props, "SubnetId")]
        interfaces = props.get("NetworkInterfaces")
        public_ip = None
        if isinstance(interfaces, list):
            sgs, subnets = self._merge_interfaces(sgs, subnets, interfaces, "GroupSet", loc)
            flags = [_as_bool(self._value(i, "AssociatePublicIpAddress")) for i in interfaces if isinstance(i, LineDict)]
            public_ip = public_ip_flag([f if isinstance(f, bool) else None for f in flags])
        self._add_target(logical_id, "instance", loc, sgs, subnets, props, public_ip)

    def _merge_interfaces(self, sgs: SgList, subnets: list, interfaces: list, group_prop: str, loc: Location):
        for interface in interfaces:
            if not isinstance(interface, LineDict):
                sgs = sgs.merged(SgList((), False, True, loc))
                continue
            sgs = sgs.merged(self._sg_list(interface, (group_prop,), loc))
            subnets.append(self._value(interface, "SubnetId"))
        return sgs, subnets

    def _launch_template(self, logical_id: str, props: LineDict, loc: Location) -> None:
        data = props.get("LaunchTemplateData")
        data = data if isinstance(data, LineDict) else LineDict(loc.line)
        sgs = self._sg_list(data, ("SecurityGroupIds", "SecurityGroups"), loc)
        self.b.name_launch_source(self.t.key(logical_id), self._value(props, "LaunchTemplateName"), self.t.path)
        subnets: list[Any] = []
        interfaces = data.get("NetworkInterfaces")
        if isinstance(interfaces, list):
            sgs, subnets = self._merge_interfaces(sgs, subnets, interfaces, "Groups", loc)
        self._add_target(logical_id, "launch template", loc, sgs, subnets, props)

    def _launch_configuration(self, logical_id: str, props: LineDict, loc: Location) -> None:
        sgs = self._sg_list(props, ("SecurityGroups",), loc)
        self.b.name_launch_source(self.t.key(logical_id), self._value(props, "LaunchConfigurationName"), self.t.path)
        self._add_target(logical_id, "launch configuration", loc, sgs, [], props)

    def _network_interface(self, logical_id: str, props: LineDict, loc: Location) -> None:
        sgs = self._sg_list(props, ("GroupSet",), loc)
        self._add_target(logical_id, "network interface", loc, sgs, [self._value(props, "SubnetId")], props)

    def _auto_scaling_group(self, logical_id: str, props: LineDict, loc: Location) -> None:
        """The group places the instances of what it launches in its subnets."""
        subnets = self._value(props, "VPCZoneIdentifier")
        subnets = subnets if isinstance(subnets, list) else [subnets if subnets not in (None, NO_VALUE) else Unknown("no subnets")]
        for launched, by_name in _launch_sources(self.r, props):
            self.b.place(launched, subnets, self.t.path, by_name)


def _launch_sources(resolver: Resolver, props: dict) -> list[tuple[Any, bool]]:
    """What an Auto Scaling group launches, each with whether it is named by its name: its launch
    configuration, its launch template, or its mixed instances policy's template and the templates
    of its overrides."""
    configuration = resolver.read(props["LaunchConfigurationName"]) if "LaunchConfigurationName" in props else None
    sources = [(configuration, isinstance(configuration, str))] if configuration is not None else []
    template = _get_path(props.get("MixedInstancesPolicy"), "LaunchTemplate")
    overrides = _get_path(template, "Overrides")
    specs = [props.get("LaunchTemplate"), _get_path(template, "LaunchTemplateSpecification")]
    specs += [_get_path(o, "LaunchTemplateSpecification") for o in overrides] if isinstance(overrides, list) else []
    for spec in specs:
        if isinstance(spec, dict) and "LaunchTemplateId" in spec:
            sources.append((resolver.read(spec["LaunchTemplateId"]), False))
        elif isinstance(spec, dict) and "LaunchTemplateName" in spec:
            sources.append((resolver.read(spec["LaunchTemplateName"]), True))
    return sources


def _get_path(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _rewritten_by_a_transform(template: Template) -> bool:
    transform = template.body.get("Transform")
    names = transform if isinstance(transform, list) else [transform] if transform is not None else []
    if any(not isinstance(n, str) or n not in _KNOWN_TRANSFORMS for n in names):
        return True
    return any(str(key).startswith("Fn::ForEach::") for key in template.resources)


def _present(value: Any) -> Any:
    return None if value is NO_VALUE else value


def _as_bool(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return Unknown("PreserveClientIp is not resolvable")
