"""A Terraform module -> the network model."""
from __future__ import annotations

from typing import Any, Callable, Optional, Union

from ...model.builder import (
    ModelBuilder, entity_key, network_or_unknown, normalize_ports, normalize_protocol, security_group_list,
)
from ...model.network import Endpoint, Location, Peer, SecurityGroup, SgList, SgRule, Subnet, Target, Vpc, default_sg_key
from ...model.values import EntityRef, Unknown, is_unknown
from ..common import TARGET_TAG, display_name, target_tag_flag
from .hcl import Body
from .module import Module, Resource

TOOL = "terraform"
# Inline rule attributes of aws_security_group / aws_default_security_group / aws_security_group_rule.
_CIDR_ATTRIBUTES = ("cidr_blocks", "ipv6_cidr_blocks")


class ModuleBuilder:
    def __init__(self, module: Module, builder: ModelBuilder) -> None:
        self.m = module
        self.b = builder
        self._handlers: dict[str, Callable[[Resource, Location], None]] = {
            "aws_vpc": self._vpc, "aws_vpc_ipv4_cidr_block_association": self._vpc_cidr_association,
            "aws_subnet": self._subnet, "aws_security_group": self._security_group,
            "aws_default_security_group": self._default_security_group,
            "aws_security_group_rule": self._security_group_rule,
            "aws_vpc_security_group_ingress_rule": self._vpc_rule, "aws_vpc_security_group_egress_rule": self._vpc_rule,
            "aws_ec2_instance_connect_endpoint": self._endpoint, "aws_instance": self._instance,
            "aws_launch_template": self._launch_template, "aws_launch_configuration": self._launch_configuration,
            "aws_network_interface": self._network_interface,
        }
        self._asg_subnets = self._subnets_of_auto_scaling_groups()
        self._eni_attachments = self._network_interface_attachments()

    def build(self) -> None:
        for resource in self.m.resources.values():
            handler = self._handlers.get(resource.type)
            if handler is None:
                continue
            count = self._count(resource)
            if count == 0:
                continue  # count = 0 / empty for_each: not created
            handler(resource, Location(resource.file, resource.line))

    # -- helpers --------------------------------------------------------------------------------
    def _value(self, resource_or_body: Union[Resource, Body], name: str) -> Any:
        body = resource_or_body.body if isinstance(resource_or_body, Resource) else resource_or_body
        return self.m.evaluate(body.attributes.get(name))

    def _attr_loc(self, resource: Resource, body: Body, name: str, fallback: Location) -> Location:
        attribute = body.attributes.get(name)
        return Location(resource.file, attribute.line) if attribute else fallback

    def _name(self, resource: Resource) -> str:
        """The address as Terraform prints it: ``x[0]`` for count = 1, ``x["k"]`` for a single for_each key."""
        if "count" in resource.body.attributes and self._count(resource) == 1:
            return f"{resource.address}[0]"
        if "for_each" in resource.body.attributes:
            keys = self._value(resource, "for_each")
            keys = list(keys) if isinstance(keys, (dict, list)) else []
            if len(keys) == 1 and isinstance(keys[0], str):
                return f'{resource.address}["{keys[0]}"]'
        return resource.address

    def _count(self, resource: Resource) -> Union[int, Unknown]:
        """How many instances: 1 without count/for_each, the number when it is known, else Unknown."""
        attrs = resource.body.attributes
        if "count" in attrs:
            value = self._value(resource, "count")
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return Unknown("count is not known")
            return int(value)
        if "for_each" in attrs:
            value = self._value(resource, "for_each")
            return len(value) if isinstance(value, (list, dict)) else Unknown("for_each is not known")
        return 1

    def _sg_list(self, resource: Resource, body: Body, names: tuple[str, ...], fallback: Location) -> SgList:
        present = [n for n in names if n in body.attributes]
        if not present:
            return SgList((), True, given=False, location=fallback)
        values = [v for v in (self._value(body, n) for n in present) if v is not None]
        return security_group_list(values, self._attr_loc(resource, body, present[0], fallback))

    def _tagged(self, resource: Resource) -> Optional[bool]:
        tag_maps = [self._value(resource, "tags")]
        tag_maps += [self._value(spec.body, "tags") for spec in resource.body.blocks_of("tag_specifications")]
        values = [tags[TARGET_TAG] for tags in tag_maps if isinstance(tags, dict) and TARGET_TAG in tags]
        return target_tag_flag(values[0]) if values else None

    # -- network --------------------------------------------------------------------------------
    def _vpc(self, resource: Resource, loc: Location) -> None:
        key = self.m.key(resource.address)
        self.b.add_vpc(Vpc(key, self._name(resource), loc))
        cidr = self._value(resource, "cidr_block")
        self.b.add_vpc_cidr(key, cidr if cidr is not None else Unknown("IPAM-assigned"))

    def _vpc_cidr_association(self, resource: Resource, loc: Location) -> None:
        cidr = self._value(resource, "cidr_block")
        self.b.add_vpc_cidr(entity_key(self._value(resource, "vpc_id"), "vpc"), cidr if cidr is not None else Unknown("IPAM-assigned"))

    def _subnet(self, resource: Resource, loc: Location) -> None:
        vpc = entity_key(self._value(resource, "vpc_id"), "vpc")
        subnet = Subnet(self.m.key(resource.address), self._name(resource), loc, vpc if vpc is not None else Unknown("no vpc_id"))
        subnet.cidr_v4 = network_or_unknown(self._value(resource, "cidr_block"))
        if subnet.cidr_v4 is None and self._value(resource, "ipv6_native") is not True:
            subnet.cidr_v4 = Unknown("IPAM-assigned", computed=True)
        subnet.cidr_v6 = network_or_unknown(self._value(resource, "ipv6_cidr_block"))
        self.b.add_subnet(subnet)

    # -- security groups ------------------------------------------------------------------------
    def _security_group(self, resource: Resource, loc: Location) -> None:
        key = self.m.key(resource.address)
        self._group_with_inline_rules(resource, key, loc)

    def _default_security_group(self, resource: Resource, loc: Location) -> None:
        # Terraform adopts the VPC's default group and replaces its rules with the ones written here.
        vpc = entity_key(self._value(resource, "vpc_id"), "vpc")
        if isinstance(vpc, str):
            self._group_with_inline_rules(resource, default_sg_key(vpc), loc)

    def _group_with_inline_rules(self, resource: Resource, key: str, loc: Location) -> None:
        vpc = entity_key(self._value(resource, "vpc_id"), "vpc")
        self.b.add_security_group(SecurityGroup(key, self._name(resource), loc, TOOL, vpc if vpc is not None else Unknown("default VPC")))
        for direction in ("ingress", "egress"):
            if any(b.type == "dynamic" and b.labels[:1] == [direction] for b in resource.body.blocks):
                self.b.mark_incomplete(key)  # dynamic blocks are expanded by a later stage
            for block in resource.body.blocks_of(direction):
                self._add_rules(key, direction, resource, block.body, Location(resource.file, block.line))
            if direction in resource.body.attributes:  # attributes-as-blocks: ingress = [{...}]
                self._rules_from_attribute(key, direction, resource)

    def _rules_from_attribute(self, key: str, direction: str, resource: Resource) -> None:
        value = self._value(resource, direction)
        loc = self._attr_loc(resource, resource.body, direction, Location(resource.file, resource.line))
        if not isinstance(value, list):
            self.b.mark_incomplete(key)
            return
        for item in value:
            if not isinstance(item, dict):
                self.b.mark_incomplete(key)
                continue
            protocol = normalize_protocol(item.get("protocol"))
            ports = normalize_ports(protocol, item.get("from_port"), item.get("to_port"))
            for peer in self._peers_of_values(item, key):
                self.b.add_rule(key, SgRule(direction, protocol, ports, peer, loc, self._name(resource)))

    def _add_rules(self, group_key: str, direction: str, resource: Resource, body: Body, loc: Location,
                   source_sg_attribute: str = "security_groups") -> None:
        protocol = normalize_protocol(self._value(body, "protocol"))
        ports = normalize_ports(protocol, self._value(body, "from_port"), self._value(body, "to_port"))
        for name in (*_CIDR_ATTRIBUTES, "prefix_list_ids", source_sg_attribute, "self"):
            if name not in body.attributes:
                continue
            values = {name: self._value(body, name)}
            location = self._attr_loc(resource, body, name, loc)
            for peer in self._peers_of_values(values, group_key, source_sg_attribute):
                self.b.add_rule(group_key, SgRule(direction, protocol, ports, peer, location, self._name(resource)))

    def _peers_of_values(self, values: dict, group_key: str, source_sg_attribute: str = "security_groups") -> list[Peer]:
        """Peers of one rule; an unresolvable list yields one unknown peer, so nothing is concluded from it."""
        peers: list[Peer] = []
        for name, value in values.items():
            if name == "self":
                if value is True:
                    peers.append(Peer.of_sg(group_key, "itself"))
                elif is_unknown(value):
                    peers.append(Peer("unknown", "self"))
                continue
            if name not in (*_CIDR_ATTRIBUTES, "prefix_list_ids", source_sg_attribute) or value is None:
                continue
            items = value if isinstance(value, list) else [value]
            for item in items:
                peers.append(self._peer(name, item, source_sg_attribute))
        return peers

    def _peer(self, name: str, item: Any, source_sg_attribute: str) -> Peer:
        label = display_name(item)
        if is_unknown(item):
            return Peer("unknown", label)
        if name in _CIDR_ATTRIBUTES:
            return Peer.of_cidr(item, label)
        if name == "prefix_list_ids":
            return Peer("prefix_list", label)
        key = entity_key(item, "sg")
        return Peer.of_sg(key, label) if isinstance(key, str) else Peer("unknown", label)

    def _rule_target(self, resource: Resource) -> Optional[str]:
        group = entity_key(self._value(resource, "security_group_id"), "sg")
        if is_unknown(group):
            self.b.mark_scope_incomplete(self.m.directory)
        return group if isinstance(group, str) else None

    def _security_group_rule(self, resource: Resource, loc: Location) -> None:
        group = self._rule_target(resource)
        direction = self._value(resource, "type")
        if group is None or direction not in ("ingress", "egress"):
            return
        if direction == "egress":
            self.b.declare_egress(group)
        self._add_rules(group, direction, resource, resource.body, loc, source_sg_attribute="source_security_group_id")

    def _vpc_rule(self, resource: Resource, loc: Location) -> None:
        group = self._rule_target(resource)
        if group is None:
            return
        direction = "ingress" if resource.type.endswith("ingress_rule") else "egress"
        protocol = normalize_protocol(self._value(resource, "ip_protocol"))
        ports = normalize_ports(protocol, self._value(resource, "from_port"), self._value(resource, "to_port"))
        for name in ("cidr_ipv4", "cidr_ipv6", "prefix_list_id", "referenced_security_group_id"):
            if name not in resource.body.attributes:
                continue
            value = self._value(resource, name)
            label = display_name(value)
            if is_unknown(value):
                peer = Peer("unknown", label)
            elif name.startswith("cidr"):
                peer = Peer.of_cidr(value, label)
            elif name == "prefix_list_id":
                peer = Peer("prefix_list", label)
            else:
                key = entity_key(value, "sg")
                peer = Peer.of_sg(key, label) if isinstance(key, str) else Peer("unknown", label)
            location = self._attr_loc(resource, resource.body, name, loc)
            self.b.add_rule(group, SgRule(direction, protocol, ports, peer, location, self._name(resource)))

    # -- endpoint and targets -------------------------------------------------------------------
    def _endpoint(self, resource: Resource, loc: Location) -> None:
        preserve = self._value(resource, "preserve_client_ip")
        explicit = "preserve_client_ip" in resource.body.attributes
        if not explicit:
            preserve = True  # the provider's default (booldefault.StaticBool(true), FACTS.md)
        elif not isinstance(preserve, bool):
            preserve = Unknown("preserve_client_ip is not resolvable")
        ip_type = self._value(resource, "ip_address_type")  # None: not set, derived from the subnet later
        if ip_type is not None and not isinstance(ip_type, str):
            ip_type = Unknown("ip_address_type is not resolvable")
        subnet = entity_key(self._value(resource, "subnet_id"), "subnet")
        count_attr = resource.body.attributes.get("count") or resource.body.attributes.get("for_each")
        self.b.add_endpoint(Endpoint(
            self.m.key(resource.address), self._name(resource), self.m.directory, TOOL, loc,
            subnet=subnet if subnet is not None else Unknown("no subnet_id"),
            security_groups=self._sg_list(resource, resource.body, ("security_group_ids",), loc),
            preserve_client_ip=preserve, preserve_explicit=explicit,
            preserve_location=self._attr_loc(resource, resource.body, "preserve_client_ip", loc),
            ip_address_type=ip_type,
            ip_address_type_location=self._attr_loc(resource, resource.body, "ip_address_type", loc),
            instance_count=self._count(resource),
            count_location=Location(resource.file, count_attr.line) if count_attr else None,
        ))

    def _add_target(self, resource: Resource, kind: str, loc: Location, sgs: SgList, subnets: list[Any]) -> None:
        keys = [entity_key(s, "subnet") for s in subnets if s is not None]
        count = self._count(resource)
        self.b.add_target(Target(
            self.m.key(resource.address), self._name(resource), self.m.directory, TOOL, kind, loc, sgs,
            subnets=tuple(k for k in keys if isinstance(k, str)),
            subnets_complete=all(isinstance(k, str) for k in keys),
            marked=self._tagged(resource), exists=None if is_unknown(count) else True,
        ))

    def _instance(self, resource: Resource, loc: Location) -> None:
        sgs = self._sg_list(resource, resource.body, ("vpc_security_group_ids", "security_groups"), loc)
        if resource.body.blocks_of("network_interface") and not sgs.keys:
            sgs = SgList((), False, True, loc)  # the attached interfaces carry the groups; judged there
        self._add_target(resource, "instance", loc, sgs, [self._value(resource, "subnet_id")])

    def _launch_template(self, resource: Resource, loc: Location) -> None:
        sgs = self._sg_list(resource, resource.body, ("vpc_security_group_ids", "security_group_names"), loc)
        subnets = list(self._asg_subnets.get(resource.address, []))
        for interface in resource.body.blocks_of("network_interfaces"):
            sgs = sgs.merged(self._sg_list(resource, interface.body, ("security_groups",), loc))
            subnets.append(self._value(interface.body, "subnet_id"))
        self._add_target(resource, "launch template", loc, sgs, subnets)

    def _launch_configuration(self, resource: Resource, loc: Location) -> None:
        sgs = self._sg_list(resource, resource.body, ("security_groups",), loc)
        self._add_target(resource, "launch configuration", loc, sgs, list(self._asg_subnets.get(resource.address, [])))

    def _network_interface(self, resource: Resource, loc: Location) -> None:
        sgs = self._sg_list(resource, resource.body, ("security_groups",), loc)
        attached = self._eni_attachments.get(resource.address, [])
        if attached:
            sgs = sgs.merged(security_group_list([attached], sgs.location or loc))
        self._add_target(resource, "network interface", loc, sgs, [self._value(resource, "subnet_id")])

    def _subnets_of_auto_scaling_groups(self) -> dict[str, list[Any]]:
        """Auto Scaling groups place their launch template's instances: take the subnets from the group."""
        result: dict[str, list[Any]] = {}
        for resource in self.m.resources.values():
            if resource.type != "aws_autoscaling_group":
                continue
            subnets = self._value(resource, "vpc_zone_identifier")
            subnets = subnets if isinstance(subnets, list) else [Unknown("subnets not known")]
            sources = [self._value(b.body, "id") for b in resource.body.blocks_of("launch_template")]
            sources.append(self._value(resource, "launch_configuration"))
            for source in sources:
                if isinstance(source, EntityRef):
                    result.setdefault(source.label, []).extend(subnets)
        return result

    def _network_interface_attachments(self) -> dict[str, list[Any]]:
        result: dict[str, list[Any]] = {}
        for resource in self.m.resources.values():
            if resource.type == "aws_network_interface_sg_attachment":
                interface = self._value(resource, "network_interface_id")
                if isinstance(interface, EntityRef):
                    result.setdefault(interface.label, []).append(self._value(resource, "security_group_id"))
        return result
