"""Terraform network ACLs -> the model: ``aws_network_acl`` and ``aws_default_network_acl`` with their
inline ``ingress``/``egress`` blocks and ``subnet_ids``, ``aws_network_acl_rule`` and
``aws_network_acl_association`` (mixed into ModuleBuilder, which reads values through the module
instance: variables, modules, count/for_each, dynamic blocks and plans alike)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator, Optional

from ...model.acls import NetworkAcl, acl_entry
from ...model.builder import entity_key
from ...model.network import Location
from ...model.values import EntityRef, Unknown, is_unknown

if TYPE_CHECKING:
    from .build import ModuleBuilder
    from .module import ResourceInstance

    _Base = ModuleBuilder
else:
    _Base = object


class AclBuilder(_Base):
    def _network_acl(self, r: "ResourceInstance", loc: Location) -> None:
        self._acl_with_inline_entries(r, EntityRef("nacl", r.key, r.address), loc, default=False)

    def _default_network_acl(self, r: "ResourceInstance", loc: Location) -> None:
        # Terraform adopts the VPC's default ACL and removes every entry it does not declare (provider docs).
        adopted = self._value(r, "default_network_acl_id")
        if not (isinstance(adopted, EntityRef) and adopted.kind == "nacl"):
            self.b.acls.adopt_unknown_default()
            return
        self._acl_with_inline_entries(r, adopted, loc, default=True)

    def _acl_with_inline_entries(self, r: "ResourceInstance", ref: EntityRef, loc: Location, default: bool) -> None:
        acls = self.b.acls
        vpc_key = ref.key[: -len("#default-network-acl")] if default else entity_key(self._value(r, "vpc_id"), "vpc")
        name = f"{r.address} (the default network ACL it adopts)" if default else r.address
        acls.add_acl(NetworkAcl(ref.key, name, loc, vpc_key if isinstance(vpc_key, str) else Unknown("no vpc_id"),
                                default=default))
        if r.exists is not True:
            acls.mark_incomplete(ref.key)
        for entry in self._inline_entries(r, loc):
            acls.add_entry(ref, entry, self.m.scope_key)
        subnets = self._value(r, "subnet_ids")
        if subnets is None:
            return
        where = self._attr_loc(r, r.resource.body, "subnet_ids", loc)
        if isinstance(subnets, EntityRef):  # a plan's list known after apply, read from its one reference
            subnets = [subnets]
        for subnet in subnets if isinstance(subnets, list) else [Unknown("subnet_ids not known")]:
            acls.associate(subnet, ref, where)

    def _inline_entries(self, r: "ResourceInstance", loc: Location) -> Iterator[Any]:
        """Each inline ingress/egress block (a dynamic one once per element), as an entry or None when
        it cannot be read."""
        body = r.resource.body
        for direction in ("ingress", "egress"):
            trees: list[tuple[Any, Location]] = []
            for block in body.blocks:
                if block.generates != direction:
                    continue
                where = Location(block.file or r.resource.file, block.line, block.column)
                if block.type != "dynamic":
                    trees.append((self._block_tree(r, block.body, None), where))
                    continue
                contents = self._dynamic_contents(r, block)
                if contents is None:
                    trees.append((None, where))
                else:
                    trees.extend((self._block_tree(r, content, bindings), where) for content, bindings in contents)
            if direction in body.attributes:  # attributes-as-blocks, or a plan
                value = self._value(r, direction)
                where = self._attr_loc(r, body, direction, loc)
                trees.extend((item, where) for item in (value if isinstance(value, list) else [None]))
            for tree, where in trees:
                yield _entry(tree, direction == "egress", where, r.address)

    def _network_acl_rule(self, r: "ResourceInstance", loc: Location) -> None:
        tree = {name: self._value(r, name) for name in r.resource.body.attributes}
        entry = _entry({**tree, "rule_no": tree.get("rule_number"), "action": tree.get("rule_action")},
                       tree.get("egress") if "egress" in tree else False, loc, r.address)
        self.b.acls.add_entry(self._value(r, "network_acl_id"), entry, self.m.scope_key, certain=r.exists is True)

    def _network_acl_association(self, r: "ResourceInstance", loc: Location) -> None:
        acl = self._value(r, "network_acl_id") if r.exists is True else Unknown("association may not exist")
        self.b.acls.associate(self._value(r, "subnet_id"), acl, loc)


def _entry(tree: Any, egress: Any, location: Location, origin: str) -> Optional[Any]:
    if not isinstance(tree, dict):
        return None
    cidr = tree.get("cidr_block") or tree.get("ipv6_cidr_block")
    if is_unknown(egress):
        egress = None
    return acl_entry(tree.get("rule_no"), egress, tree.get("action"), tree.get("protocol"), tree.get("from_port"),
                     tree.get("to_port"), cidr, location, origin)
