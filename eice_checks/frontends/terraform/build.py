"""Terraform module instances -> the network model, one resource instance at a time."""
from __future__ import annotations

import re
from typing import Any, Callable, Iterator, Optional

from ...model.builder import (
    ModelBuilder, entity_key, network_or_unknown, normalize_ports, normalize_protocol, public_ip_flag,
    security_group_list,
)
from ...model.network import (
    Endpoint, Location, Peer, PrefixList, SecurityGroup, SgList, SgRule, Subnet, Target, Vpc, default_sg_key,
)
from ...model.values import EntityRef, Unknown, is_unknown
from ..common import TARGET_TAG, display_name, target_tag_flag
from .acls import AclBuilder
from .hcl import Block, Body
from .module import Bindings, ModuleInstance, ResourceInstance

TOOL = "terraform"
# Inline rule attributes of aws_security_group / aws_default_security_group / aws_security_group_rule.
_CIDR_ATTRIBUTES = ("cidr_blocks", "ipv6_cidr_blocks")


# The method of ModuleBuilder that adds each resource type to the model (by name: one table for all
# module instances, not a table of bound methods in each).
_HANDLERS: dict[str, str] = {
    "aws_vpc": "_vpc", "aws_vpc_ipv4_cidr_block_association": "_vpc_cidr_association",
    "aws_subnet": "_subnet", "aws_security_group": "_security_group",
    "aws_default_security_group": "_default_security_group",
    "aws_security_group_rule": "_security_group_rule",
    "aws_vpc_security_group_ingress_rule": "_vpc_rule", "aws_vpc_security_group_egress_rule": "_vpc_rule",
    "aws_ec2_instance_connect_endpoint": "_endpoint", "aws_instance": "_instance",
    "aws_launch_template": "_launch_template", "aws_launch_configuration": "_launch_configuration",
    "aws_network_interface": "_network_interface", "aws_eip": "_elastic_ip",
    "aws_eip_association": "_elastic_ip", "aws_autoscaling_group": "_auto_scaling_group",
    "aws_ec2_managed_prefix_list": "_prefix_list",
    "aws_ec2_managed_prefix_list_entry": "_prefix_list_entry",
    "aws_network_acl": "_network_acl", "aws_default_network_acl": "_default_network_acl",
    "aws_network_acl_rule": "_network_acl_rule", "aws_network_acl_association": "_network_acl_association",
}


class ModuleBuilder(AclBuilder):
    """Adds the resources of one module instance (root or child) to the shared model (network ACLs:
    see acls.py)."""

    def __init__(self, module: ModuleInstance, builder: ModelBuilder) -> None:
        self.m = module
        self.b = builder
        self._attachments_unresolved = False
        self._eni_attachments = self._network_interface_attachments()

    def build(self) -> None:
        for resource in self.m.source.resources.values():
            name = _HANDLERS.get(resource.type)
            if name is not None:
                handler: Callable[[ResourceInstance, Location], None] = getattr(self, name)
                location = Location(resource.file, resource.line, resource.column)
                for instance in self.m.resource_instances_or_placeholder(resource):
                    handler(instance, location)
        self._hand_out_groups()

    def _hand_out_groups(self) -> None:
        """Group ids given to a module this scan cannot read may get rules there; a root module's
        outputs may reach rules in other configurations."""
        if self.m.source.partial:
            self.b.mark_scope_unread(self.m.scope_key)  # a file of the module could not be read
        for name, instances in self.m.children().items():
            if is_unknown(instances):
                call = self.m.source.calls[name]
                for attribute in call.body.attributes.values():
                    self.b.hand_out(self.m.read(attribute), always=True)
        if not self.m.prefix:
            for attribute in self.m.source.outputs.values():
                self.b.hand_out(self.m.read(attribute), always=False)

    def _instances_of(self, resource_type: str) -> Iterator[ResourceInstance]:
        for resource in self.m.source.resources.values():
            if resource.type == resource_type:
                yield from self.m.resource_instances_or_placeholder(resource)

    # -- helpers --------------------------------------------------------------------------------
    @staticmethod
    def _value(r: ResourceInstance, name: str, body: Optional[Body] = None, bindings: Optional[Bindings] = None) -> Any:
        attribute = (body or r.resource.body).attributes.get(name)
        return None if attribute is None else r.module.read(attribute, bindings or r.bindings)

    @staticmethod
    def _attr_loc(r: ResourceInstance, body: Body, name: str, fallback: Location) -> Location:
        attribute = body.attributes.get(name)
        return Location(attribute.file or r.resource.file, attribute.line, attribute.column) if attribute else fallback

    def _sg_list(self, r: ResourceInstance, body: Body, names: tuple[str, ...], fallback: Location) -> SgList:
        present = [n for n in names if n in body.attributes]
        if not present:
            return SgList((), True, given=False, location=fallback)
        values = [v for v in (self._value(r, n, body) for n in present) if v is not None]
        return security_group_list(values, self._attr_loc(r, body, present[0], fallback))

    def _block_values(self, r: ResourceInstance, body: Body, name: str, bindings: Optional[Bindings] = None) -> list[Any]:
        """The nested blocks ``name`` of ``body`` as values, in the shape a plan gives them: each a dict of
        its attributes' values and its own nested blocks; a dynamic block expanded, or Unknown when its
        elements cannot be listed. A plan (or attributes-as-blocks) has them as an attribute already."""
        if name in body.attributes:
            value = self._value(r, name, body, bindings)
            return value if isinstance(value, list) else [value]
        values: list[Any] = []
        for block in body.blocks:
            if block.generates != name:
                continue
            if block.type != "dynamic":
                values.append(self._block_tree(r, block.body, bindings))
                continue
            contents = self._dynamic_contents(r, block, bindings)
            if contents is None:
                values.append(Unknown(f"dynamic {name} block"))
            else:
                values.extend(self._block_tree(r, content, content_bindings) for content, content_bindings in contents)
        return values

    def _block_tree(self, r: ResourceInstance, body: Body, bindings: Optional[Bindings]) -> dict:
        tree = {name: self._value(r, name, body, bindings) for name in body.attributes}
        for name in dict.fromkeys(b.generates for b in body.blocks):
            tree[name] = self._block_values(r, body, name, bindings)
        return tree

    def _dynamic_contents(self, r: ResourceInstance, dynamic: Block,
                          bindings: Optional[Bindings] = None) -> Optional[list[tuple[Body, Bindings]]]:
        """``dynamic "x" { for_each = ...; content { ... } }``: the content with its iterator bound, once
        per element; None when the elements cannot be listed."""
        body = dynamic.body
        items = self._value(r, "for_each", body, bindings)
        contents = body.blocks_of("content")
        iterator = body.attributes["iterator"].source.strip() if "iterator" in body.attributes else dynamic.generates
        pairs: Optional[list[tuple[Any, Any]]] = None
        if isinstance(items, dict):
            pairs = list(items.items())
        elif isinstance(items, list):  # over a set, each element is its own key
            is_set = "for_each" in body.attributes and self.m.source.is_set(body.attributes["for_each"].source)
            pairs = [(item, item) for item in items] if is_set else list(enumerate(items))
        if pairs is None or len(contents) != 1:
            return None
        base = bindings or r.bindings
        return [(contents[0].body, base.bind(iterator, {"key": item_key, "value": item_value}, repr(item_key)))
                for item_key, item_value in pairs]

    def _tagged(self, r: ResourceInstance) -> Optional[bool]:
        tag_maps = [self._value(r, "tags")]
        tag_maps += [self._value(r, "tags", spec.body) for spec in r.resource.body.blocks_of("tag_specifications")]
        values = [tags[TARGET_TAG] for tags in tag_maps if isinstance(tags, dict) and TARGET_TAG in tags]
        return target_tag_flag(values[0]) if values else None

    # -- network --------------------------------------------------------------------------------
    def _vpc(self, r: ResourceInstance, loc: Location) -> None:
        self.b.add_vpc(Vpc(r.key, r.address, loc))
        cidr = self._value(r, "cidr_block")
        self.b.add_vpc_cidr(r.key, cidr if cidr is not None else Unknown("IPAM-assigned"))

    def _vpc_cidr_association(self, r: ResourceInstance, loc: Location) -> None:
        cidr = self._value(r, "cidr_block")
        self.b.add_vpc_cidr(entity_key(self._value(r, "vpc_id"), "vpc"), cidr if cidr is not None else Unknown("IPAM-assigned"))

    def _subnet(self, r: ResourceInstance, loc: Location) -> None:
        vpc = entity_key(self._value(r, "vpc_id"), "vpc")
        subnet = Subnet(r.key, r.address, loc, vpc if vpc is not None else Unknown("no vpc_id"))
        subnet.cidr_v4 = network_or_unknown(self._value(r, "cidr_block"))
        if subnet.cidr_v4 is None and self._value(r, "ipv6_native") is not True:
            subnet.cidr_v4 = Unknown("IPAM-assigned", computed=True)
        subnet.cidr_v6 = network_or_unknown(self._value(r, "ipv6_cidr_block"))
        subnet.maps_public_ip = self._value(r, "map_public_ip_on_launch") is True
        self.b.add_subnet(subnet)

    # -- security groups ------------------------------------------------------------------------
    def _security_group(self, r: ResourceInstance, loc: Location) -> None:
        self._group_with_inline_rules(r, r.key, loc)

    def _default_security_group(self, r: ResourceInstance, loc: Location) -> None:
        # Terraform adopts the VPC's default group and replaces its rules with the ones written here.
        vpc = entity_key(self._value(r, "vpc_id"), "vpc")
        if isinstance(vpc, str):
            self._group_with_inline_rules(r, default_sg_key(vpc), loc)

    def _group_with_inline_rules(self, r: ResourceInstance, key: str, loc: Location) -> None:
        vpc = entity_key(self._value(r, "vpc_id"), "vpc")
        name, tags = self._value(r, "name"), self._value(r, "tags")
        self.b.add_security_group(SecurityGroup(
            key, r.address, loc, TOOL, vpc if vpc is not None else Unknown("default VPC"),
            group_name=name if isinstance(name, str) else None, tags=tags if isinstance(tags, dict) else {}))
        body = r.resource.body
        if _ignores_changes(body, ("ingress", "egress")):
            self.b.mark_incomplete(key)  # its rules are managed outside this configuration
        for direction in ("ingress", "egress"):
            for block in body.blocks:
                if block.generates != direction:
                    continue
                location = Location(block.file or r.resource.file, block.line, block.column)
                if block.type == "dynamic":
                    self._dynamic_rules(key, direction, r, block, location)
                else:
                    self._add_rules(key, direction, r, block.body, location)
            if direction in body.attributes:  # attributes-as-blocks: ingress = [{...}]
                self._rules_from_attribute(key, direction, r)

    def _dynamic_rules(self, key: str, direction: str, r: ResourceInstance, dynamic: Block, loc: Location) -> None:
        """One rule block per element of a ``dynamic "ingress"`` / ``dynamic "egress"`` block."""
        contents = self._dynamic_contents(r, dynamic)
        if contents is None:
            self.b.mark_incomplete(key)  # the rules cannot be listed: nothing is concluded from this group
            return
        for body, bindings in contents:
            self._add_rules(key, direction, r, body, loc, bindings=bindings)

    def _rules_from_attribute(self, key: str, direction: str, r: ResourceInstance) -> None:
        value = self._value(r, direction)
        loc = self._attr_loc(r, r.resource.body, direction, Location(r.resource.file, r.resource.line, r.resource.column))
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
                self.b.add_rule(key, SgRule(direction, protocol, ports, peer, loc, r.address))

    def _add_rules(self, group_key: str, direction: str, r: ResourceInstance, body: Body, loc: Location,
                   source_sg_attribute: str = "security_groups", bindings: Optional[Bindings] = None) -> None:
        protocol = normalize_protocol(self._value(r, "protocol", body, bindings))
        ports = normalize_ports(protocol, self._value(r, "from_port", body, bindings), self._value(r, "to_port", body, bindings))
        for name in (*_CIDR_ATTRIBUTES, "prefix_list_ids", source_sg_attribute, "self"):
            if name not in body.attributes:
                continue
            values = {name: self._value(r, name, body, bindings)}
            location = self._attr_loc(r, body, name, loc)
            for peer in self._peers_of_values(values, group_key, source_sg_attribute):
                self.b.add_rule(group_key, SgRule(direction, protocol, ports, peer, location, r.address))

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
            for item in value if isinstance(value, list) else [value]:
                peers.append(self._peer(name, item))
        return peers

    @staticmethod
    def _peer(name: str, item: Any) -> Peer:
        label = display_name(item)
        if is_unknown(item):
            return Peer("unknown", label)
        if name in (*_CIDR_ATTRIBUTES, "cidr_ipv4", "cidr_ipv6"):
            return Peer.of_cidr(item, label)
        if name in ("prefix_list_ids", "prefix_list_id"):
            return Peer.of_prefix_list(entity_key(item, "prefix_list"), label)
        key = entity_key(item, "sg")
        return Peer.of_sg(key, label) if isinstance(key, str) else Peer("unknown", label)

    def _rule_target(self, r: ResourceInstance) -> Optional[str]:
        group = entity_key(self._value(r, "security_group_id"), "sg")
        if is_unknown(group):
            self.b.mark_scope_incomplete(self.m.scope_key)  # the rule may belong to any group here...
            if not self._note_lookup(r):
                self.b.note_unattributed_rule()  # ...or to one another configuration hands out
        if isinstance(group, str) and r.exists is None:
            self.b.mark_incomplete(group)  # created or not depending on an unknown count/for_each
            return None
        return group if isinstance(group, str) else None

    def _note_lookup(self, r: ResourceInstance) -> bool:
        """A rule on ``data.aws_security_group.x.id``: the groups of the scan that lookup may find."""
        attribute = r.resource.body.attributes.get("security_group_id")
        match = re.search(r"\bdata\.aws_security_group\.([\w-]+)", attribute.source) if attribute else None
        lookup = self.m.source.data.get(f"aws_security_group.{match.group(1)}") if match else None
        if lookup is None:
            return False
        name, tags = self._lookup_value(lookup, "name"), self._lookup_value(lookup, "tags")
        for block in lookup.blocks_of("filter"):
            key, values = self._lookup_value(block.body, "name"), self._lookup_value(block.body, "values")
            if isinstance(key, str) and isinstance(values, list) and len(values) == 1 and isinstance(values[0], str):
                if key == "group-name":
                    name = values[0]
                elif key.startswith("tag:"):
                    tags = {**(tags if isinstance(tags, dict) else {}), key[4:]: values[0]}
        if not isinstance(name, str) and not (isinstance(tags, dict) and tags):
            return False
        self.b.note_lookup(name if isinstance(name, str) else None, tags if isinstance(tags, dict) else {})
        return True

    def _lookup_value(self, body: Body, name: str) -> Any:
        attribute = body.attributes.get(name)
        return None if attribute is None else self.m.read(attribute)

    def _security_group_rule(self, r: ResourceInstance, loc: Location) -> None:
        group = self._rule_target(r)
        direction = self._value(r, "type")
        if group is None or direction not in ("ingress", "egress"):
            return
        if direction == "egress":
            self.b.declare_egress(group)
        self._add_rules(group, direction, r, r.resource.body, loc, source_sg_attribute="source_security_group_id")

    def _vpc_rule(self, r: ResourceInstance, loc: Location) -> None:
        group = self._rule_target(r)
        if group is None:
            return
        direction = "ingress" if r.resource.type.endswith("ingress_rule") else "egress"
        protocol = normalize_protocol(self._value(r, "ip_protocol"))
        ports = normalize_ports(protocol, self._value(r, "from_port"), self._value(r, "to_port"))
        for name in ("cidr_ipv4", "cidr_ipv6", "prefix_list_id", "referenced_security_group_id"):
            if name in r.resource.body.attributes:
                value = self._value(r, name)
                if value is None:  # null: not set (a plan records every peer attribute, null or not)
                    continue
                peer = self._peer(name, value)
                location = self._attr_loc(r, r.resource.body, name, loc)
                self.b.add_rule(group, SgRule(direction, protocol, ports, peer, location, r.address))

    # -- prefix lists ---------------------------------------------------------------------------
    def _prefix_list(self, r: ResourceInstance, loc: Location) -> None:
        self.b.add_prefix_list(PrefixList(r.key, r.address, loc))
        if r.exists is None or _ignores_changes(r.resource.body, ("entry",)):
            self.b.mark_incomplete(r.key)  # its entries (or whether it exists) are decided elsewhere
        for entry in self._block_values(r, r.resource.body, "entry"):
            self.b.add_prefix_list_entry(r.key, entry.get("cidr") if isinstance(entry, dict) else entry, inline=True)

    def _prefix_list_entry(self, r: ResourceInstance, loc: Location) -> None:
        prefix_list = entity_key(self._value(r, "prefix_list_id"), "prefix_list")
        if not isinstance(prefix_list, str):
            self.b.note_unattributed_entry(self.m.scope_key)
        elif r.exists is None:
            self.b.mark_incomplete(prefix_list)  # added or not depending on an unknown count/for_each
        else:
            self.b.add_prefix_list_entry(prefix_list, self._value(r, "cidr"), inline=False)

    # -- endpoint and targets -------------------------------------------------------------------
    def _endpoint(self, r: ResourceInstance, loc: Location) -> None:
        body = r.resource.body
        preserve = self._value(r, "preserve_client_ip")
        # absent, null (a variable defaulting to null), or in a plan the provider's default: unset
        explicit = preserve is not None and getattr(body.attributes.get("preserve_client_ip"), "configured", True)
        if not explicit:
            preserve = True  # the provider's default (booldefault.StaticBool(true), FACTS.md)
        elif not isinstance(preserve, bool):
            preserve = Unknown("preserve_client_ip is not resolvable")
        ip_type = self._value(r, "ip_address_type")  # None: not set, derived from the subnet later
        if ip_type is not None and not isinstance(ip_type, str):
            ip_type = Unknown("ip_address_type is not resolvable")
        subnet = entity_key(self._value(r, "subnet_id"), "subnet")
        count_attr = body.attributes.get("count") or body.attributes.get("for_each")
        self.b.add_endpoint(Endpoint(
            r.key, r.address, self.m.scope_key, TOOL, loc,
            subnet=subnet if subnet is not None else Unknown("no subnet_id"),
            security_groups=self._sg_list(r, body, ("security_group_ids",), loc),
            preserve_client_ip=preserve, preserve_explicit=explicit,
            preserve_location=self._attr_loc(r, body, "preserve_client_ip", loc),
            ip_address_type=ip_type,
            ip_address_type_location=self._attr_loc(r, body, "ip_address_type", loc),
            instance_count=1 if r.exists else Unknown("count/for_each is not known"),
            count_location=(Location(r.resource.file, count_attr.line, count_attr.column) if count_attr
                            else Location(*self.m.count_location) if self.m.count_location else None),
            resource_address=r.base_address,
        ))

    def _add_target(self, r: ResourceInstance, kind: str, loc: Location, sgs: SgList, subnets: list[Any],
                    public_ip: Any = None) -> None:
        if self._attachments_unresolved:
            sgs = sgs.merged(SgList((), False, True, sgs.location))  # it may have more groups than written
        keys = [entity_key(s, "subnet") for s in subnets if s is not None]
        self.b.add_target(Target(
            r.key, r.address, self.m.scope_key, TOOL, kind, loc, sgs,
            subnets=tuple(k for k in keys if isinstance(k, str)),
            subnets_complete=all(isinstance(k, str) for k in keys),
            marked=self._tagged(r), exists=r.exists, resource_address=r.base_address,
            public_ip=public_ip if isinstance(public_ip, bool) else None,
        ))

    def _elastic_ip(self, r: ResourceInstance, loc: Location) -> None:
        for name in ("instance", "instance_id", "network_interface", "network_interface_id"):
            holder = self._value(r, name)
            if isinstance(holder, EntityRef):
                self.b.mark_public(holder.key)

    def _instance(self, r: ResourceInstance, loc: Location) -> None:
        sgs = self._sg_list(r, r.resource.body, ("vpc_security_group_ids", "security_groups"), loc)
        if r.resource.body.blocks_of("network_interface") and not sgs.keys:
            sgs = SgList((), False, True, loc)  # the attached interfaces carry the groups; judged there
        attached = self._eni_attachments.get(r.key, [])  # aws_network_interface_sg_attachment on its primary interface
        if attached:
            sgs = sgs.merged(security_group_list([attached], sgs.location or loc))
        self._add_target(r, "instance", loc, sgs, [self._value(r, "subnet_id")],
                         self._value(r, "associate_public_ip_address"))

    def _launch_template(self, r: ResourceInstance, loc: Location) -> None:
        sgs = self._sg_list(r, r.resource.body, ("vpc_security_group_ids", "security_group_names"), loc)
        self.b.name_launch_source(r.key, self._value(r, "name"), self.m.scope_key)
        subnets: list[Any] = []
        flags = []
        for interface in r.resource.body.blocks_of("network_interfaces"):
            sgs = sgs.merged(self._sg_list(r, interface.body, ("security_groups",), loc))
            subnets.append(self._value(r, "subnet_id", interface.body))
            flags.append(_as_flag(self._value(r, "associate_public_ip_address", interface.body)))
        self._add_target(r, "launch template", loc, sgs, subnets, public_ip_flag(flags))

    def _launch_configuration(self, r: ResourceInstance, loc: Location) -> None:
        sgs = self._sg_list(r, r.resource.body, ("security_groups",), loc)
        self.b.name_launch_source(r.key, self._value(r, "name"), self.m.scope_key)
        self._add_target(r, "launch configuration", loc, sgs, [])

    def _network_interface(self, r: ResourceInstance, loc: Location) -> None:
        sgs = self._sg_list(r, r.resource.body, ("security_groups",), loc)
        attached = self._eni_attachments.get(r.key, [])
        if attached:
            sgs = sgs.merged(security_group_list([attached], sgs.location or loc))
        self._add_target(r, "network interface", loc, sgs, [self._value(r, "subnet_id")])

    def _auto_scaling_group(self, r: ResourceInstance, loc: Location) -> None:
        """The group places the instances of every launch template it names (``launch_template``, or
        ``mixed_instances_policy``'s template and its overrides) or its launch configuration in its subnets."""
        subnets = self._value(r, "vpc_zone_identifier")
        subnets = subnets if isinstance(subnets, list) else [Unknown("subnets not known")]
        body = r.resource.body
        specs = [(spec.get("id"), spec.get("name")) for spec in _dicts(self._block_values(r, body, "launch_template"))]
        for policy in _dicts(self._block_values(r, body, "mixed_instances_policy")):
            for template in _dicts(policy.get("launch_template")):
                for holder in [template, *_dicts(template.get("override"))]:
                    specs += [(spec.get("launch_template_id"), spec.get("launch_template_name"))
                              for spec in _dicts(holder.get("launch_template_specification"))]
        for launched, name in specs:
            if launched is not None:
                self.b.place(launched, subnets, self.m.scope_key)
            elif name is not None:
                self.b.place(name, subnets, self.m.scope_key, by_name=True)
        configuration = self._value(r, "launch_configuration")  # its id is its name
        self.b.place(configuration, subnets, self.m.scope_key, by_name=isinstance(configuration, str))

    def _network_interface_attachments(self) -> dict[str, list[Any]]:
        """Groups attached to interfaces (an aws_network_interface, or an instance's primary one)."""
        result: dict[str, list[Any]] = {}
        for r in self._instances_of("aws_network_interface_sg_attachment"):
            interface = self._value(r, "network_interface_id")
            if isinstance(interface, EntityRef):
                result.setdefault(interface.key, []).append(self._value(r, "security_group_id"))
            else:
                self._attachments_unresolved = True  # a group goes to an interface we cannot name
        return result


def _as_flag(value: Any) -> Optional[bool]:
    """Terraform booleans also arrive as "true"/"false" strings."""
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value if isinstance(value, bool) else None


def _dicts(values: Any) -> list[dict]:
    return [v for v in values if isinstance(v, dict)] if isinstance(values, list) else []


def _ignores_changes(body: Body, names: tuple[str, ...]) -> bool:
    """lifecycle { ignore_changes = [ingress] } (one of ``names``, or all): they are managed elsewhere."""
    pattern = rf"\b({'|'.join(names)})\b"
    for lifecycle in body.blocks_of("lifecycle"):
        ignored = lifecycle.body.attributes.get("ignore_changes")
        if ignored is not None and (ignored.source.strip() == "all" or re.search(pattern, ignored.source)):
            return True
    return False
