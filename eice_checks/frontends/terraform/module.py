"""One Terraform module (the .tf files of a directory): its declarations and the scope that
evaluates their expressions (variables' defaults, locals, references between resources)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ...model.network import default_sg_key
from ...model.values import EntityRef, Unknown
from .expressions import Traversable, evaluate_source
from .hcl import Attribute, Block, Body

# Resource types whose ``id`` is the identity of a modelled entity.
ENTITY_KINDS = {
    "aws_security_group": "sg", "aws_vpc": "vpc", "aws_default_vpc": "vpc", "aws_subnet": "subnet",
    "aws_default_subnet": "subnet", "aws_launch_template": "launch_template", "aws_network_interface": "eni",
    "aws_launch_configuration": "launch_configuration", "aws_ec2_managed_prefix_list": "prefix_list",
}
_MAX_DEPTH = 64


@dataclass
class Resource:
    type: str
    name: str
    body: Body
    file: str
    line: int

    @property
    def address(self) -> str:
        return f"{self.type}.{self.name}"


class Module:
    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.resources: dict[str, Resource] = {}
        self.variables: dict[str, Optional[Attribute]] = {}
        self.locals: dict[str, Attribute] = {}
        self.scope = ModuleScope(self)

    def key(self, address: str) -> str:
        return f"{self.directory}#{address}"

    def add_file(self, path: str, body: Body) -> None:
        for block in body.blocks:
            self._add_block(path, block)

    def _add_block(self, path: str, block: Block) -> None:
        if block.type == "resource" and len(block.labels) == 2:
            resource = Resource(block.labels[0], block.labels[1], block.body, path, block.line)
            self.resources[resource.address] = resource
        elif block.type == "variable" and block.labels:
            self.variables[block.labels[0]] = block.body.attributes.get("default")
        elif block.type == "locals":
            self.locals.update(block.body.attributes)

    def evaluate(self, attribute: Optional[Attribute]) -> Any:
        return None if attribute is None else self.scope.evaluate(attribute)


class ModuleScope:
    """Answers the roots of references (var, local, resource types) for the expression evaluator."""

    def __init__(self, module: Module) -> None:
        self.module = module
        self._cache: dict[int, Any] = {}
        self._active: set[int] = set()

    def evaluate(self, attribute: Attribute) -> Any:
        """Evaluate once per attribute; a reference cycle yields Unknown instead of recursing forever."""
        marker = id(attribute)
        if marker in self._cache:
            return self._cache[marker]
        if marker in self._active or len(self._active) > _MAX_DEPTH:
            return Unknown("reference cycle")
        self._active.add(marker)
        try:
            value = evaluate_source(attribute.source, self)
        finally:
            self._active.discard(marker)
        self._cache[marker] = value
        return value

    def resolve_root(self, name: str) -> Any:
        if name == "var":
            return _Variables(self)
        if name == "local":
            return _Locals(self)
        if name == "data":
            return Unknown("data source: read at plan time")
        if name == "module":
            return Unknown("module output")
        if name in ("count", "each", "self", "path", "terraform"):
            return Unknown(f"{name} is not evaluated here")
        return _ResourceType(self, name)


class _Variables(Traversable):
    def __init__(self, scope: ModuleScope) -> None:
        self.scope = scope

    def get_attr(self, name: str) -> Any:
        variables = self.scope.module.variables
        if name not in variables:
            return Unknown(f"undeclared variable {name}")
        default = variables[name]
        return Unknown(f"variable {name} has no default") if default is None else self.scope.evaluate(default)


class _Locals(Traversable):
    def __init__(self, scope: ModuleScope) -> None:
        self.scope = scope

    def get_attr(self, name: str) -> Any:
        attribute = self.scope.module.locals.get(name)
        return Unknown(f"undeclared local {name}") if attribute is None else self.scope.evaluate(attribute)


class _ResourceType(Traversable):
    def __init__(self, scope: ModuleScope, resource_type: str) -> None:
        self.scope = scope
        self.type = resource_type

    def get_attr(self, name: str) -> Any:
        resource = self.scope.module.resources.get(f"{self.type}.{name}")
        return ResourceValue(self.scope, resource) if resource else Unknown(f"{self.type}.{name} is not declared here")


class ResourceValue(Traversable):
    """A resource as expressions see it: ``id`` is its identity; other attributes are what the
    configuration sets, else computed by the provider (Unknown)."""

    def __init__(self, scope: ModuleScope, resource: Resource) -> None:
        self.scope = scope
        self.resource = resource

    def get_attr(self, name: str) -> Any:
        r = self.resource
        if r.type == "aws_default_security_group" and name == "id":
            vpc = self.get_attr("vpc_id")
            if isinstance(vpc, EntityRef):
                return EntityRef("sg", default_sg_key(vpc.key), r.address)
            return Unknown("default security group of an unresolved VPC")
        if r.type in ("aws_vpc", "aws_default_vpc") and name == "default_security_group_id":
            return EntityRef("sg", default_sg_key(self.scope.module.key(r.address)), f"default security group of {r.address}")
        if name == "id" and r.type in ENTITY_KINDS:
            return EntityRef(ENTITY_KINDS[r.type], self.scope.module.key(r.address), r.address)
        if name in r.body.attributes:
            return self.scope.evaluate(r.body.attributes[name])
        return Unknown(f"{r.address}.{name} is computed by the provider", computed=True)

    # A single instance stands for every instance: count/for_each expansion is resolved later.
    def get_index(self, key: Any) -> Any:
        return self

    def splat(self) -> Any:
        return [self]
