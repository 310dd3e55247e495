"""Terraform plan JSON (``terraform show -json plan.out``) -> the network model.

A plan has every value Terraform could compute: variables, count/for_each, modules and, for
resources that already exist, their real ids. What stays unknown until apply (the id of a security
group about to be created, say) is absent from ``planned_values``; the plan's ``configuration``
still names what it refers to (``aws_security_group.app.id``), which resolves it within the module.
Findings point at the resource's line in the plan file: a plan does not record source lines.

Each plan module becomes a ``PlanModule`` that offers what ``ModuleBuilder`` reads from a module
instance, so resources are turned into the model by the same code as for .tf sources.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

from ...model.builder import ModelBuilder
from ...model.values import EntityRef, Unknown
from ..cloudformation.loader import LineDict
from .hcl import Attribute, Body
from .module import ENTITY_KINDS, NO_BINDINGS, Bindings, ModuleSource, Resource, ResourceInstance

_REFERENCE = re.compile(r'^(?P<resource>[a-z][a-z0-9_]*\.[A-Za-z_][\w-]*)(?P<index>\[(?:\d+|"[^"]*")\])?\.(?P<attr>\w+)$')


@dataclass
class ValueAttribute(Attribute):
    """An attribute whose value the plan already holds."""

    value: Any = None


class PlanModule:
    """One module of a plan (root or ``module.app["blue"]``), shaped like a ModuleInstance."""

    def __init__(self, path: str, address: str, planned: list[LineDict], configuration: dict,
                 changes: dict[str, dict]) -> None:
        self.prefix = f"{address}." if address else ""
        self.scope_key = f"{path}::{address}" if address else path
        self.path = path
        self.source = ModuleSource(path)
        self._instances: dict[str, ResourceInstance] = {}  # by address within the module
        self._by_resource: dict[int, ResourceInstance] = {}
        self._ids: dict[str, str] = {}
        for item in planned:
            if item.get("mode") == "managed" and isinstance(item.get("values"), dict):
                self._add(item, configuration, changes.get(str(item.get("address")), {}))

    def key(self, address: str) -> str:
        """A resource with a known id is that id, so literal ids elsewhere in the plan match it."""
        return self._ids.get(address) or f"{self.scope_key}#{address}"

    @staticmethod
    def evaluate(attribute: Attribute, bindings: Bindings = NO_BINDINGS) -> Any:
        return attribute.value if isinstance(attribute, ValueAttribute) else Unknown("not in the plan")

    @staticmethod
    def children() -> dict:
        return {}  # a plan lists every module's resources itself

    def resource_instances_or_placeholder(self, resource: Resource) -> list[ResourceInstance]:
        return [self._by_resource[id(resource)]]  # each planned instance is a Resource of its own

    def _add(self, item: LineDict, configuration: dict, change: dict) -> None:
        address = str(item["address"])
        local_address = address[len(self.prefix):]
        resource_type, name = str(item.get("type")), str(item.get("name"))
        values: LineDict = item["values"]
        if isinstance(values.get("id"), str):
            self._ids[local_address] = values["id"]
        expressions = configuration.get(f"{resource_type}.{name}", {})
        unknown = (change.get("change") or {}).get("after_unknown") or {}
        attributes = {k: ValueAttribute(k, "", values.line_of(k), v) for k, v in values.items()}
        for attr in set(unknown) | set(expressions):
            if attr not in values or _any_true(unknown.get(attr)):
                attributes[attr] = ValueAttribute(attr, "", values.line, self._from_references(expressions.get(attr)))
        resource = Resource(resource_type, name, Body(attributes=attributes), self.path, item.line)
        instance = ResourceInstance(self, resource, address, NO_BINDINGS)  # type: ignore[arg-type]
        self.source.resources[local_address] = resource
        self._instances[local_address] = instance
        self._by_resource[id(resource)] = instance

    def _from_references(self, expression: Any) -> Any:
        """A value known after apply, from what the configuration refers to: the referenced resource's
        identity for ``.id``, its planned value for another attribute; Unknown when not resolvable."""
        references = expression.get("references", []) if isinstance(expression, dict) else []
        resolved = [self._reference(r) for r in references if isinstance(r, str) and _REFERENCE.match(r)]
        resolved = [r for r in resolved if r is not None]
        if not resolved:
            return Unknown("known after apply")
        return resolved if isinstance(expression, dict) and len(resolved) > 1 else resolved[0]

    def _reference(self, reference: str) -> Any:
        match = _REFERENCE.match(reference)
        assert match is not None
        base = match.group("resource")
        candidates = [a for a in self._instances if a == base or a.startswith(f"{base}[")]
        if match.group("index"):
            candidates = [a for a in candidates if a == base + match.group("index")]
        if len(candidates) != 1:
            return None  # per-instance references (count.index) cannot be told apart here
        instance = self._instances[candidates[0]]
        attr = match.group("attr")
        resource_type = base.split(".", 1)[0]
        if attr == "id" and resource_type in ENTITY_KINDS:
            return EntityRef(ENTITY_KINDS[resource_type], self.key(candidates[0]), instance.address)
        value = instance.resource.body.attributes.get(attr)
        return value.value if isinstance(value, ValueAttribute) else None


def add_plan(path: str, plan: LineDict, builder: ModelBuilder) -> int:
    """Add the resources of a plan; returns how many were read."""
    from .build import ModuleBuilder

    changes = {str(c.get("address")): c for c in plan.get("resource_changes") or [] if isinstance(c, dict)}
    configuration = _configuration_by_module((plan.get("configuration") or {}).get("root_module") or {})
    count = 0
    for address, module in _planned_modules((plan.get("planned_values") or {}).get("root_module") or {}):
        plan_module = PlanModule(path, address, module.get("resources") or [], configuration.get(_strip_indexes(address), {}), changes)
        ModuleBuilder(plan_module, builder).build()  # type: ignore[arg-type]  # PlanModule has the same shape
        count += len(plan_module.source.resources)
    return count


def _planned_modules(module: dict, address: str = "") -> Iterator[tuple[str, dict]]:
    yield address, module
    for child in module.get("child_modules") or []:
        if isinstance(child, dict):
            yield from _planned_modules(child, str(child.get("address", "")))


def _configuration_by_module(module: dict, address: str = "") -> dict[str, dict[str, dict]]:
    """Module address (without instance keys) -> resource "type.name" -> expressions."""
    result = {address: {f"{r.get('type')}.{r.get('name')}": r.get("expressions") or {}
                        for r in module.get("resources") or [] if isinstance(r, dict)}}
    for name, call in (module.get("module_calls") or {}).items():
        if isinstance(call, dict) and isinstance(call.get("module"), dict):
            child = f"{address}.module.{name}" if address else f"module.{name}"
            result.update(_configuration_by_module(call["module"], child))
    return result


def _strip_indexes(address: str) -> str:
    return re.sub(r'\[(?:\d+|"[^"]*")\]', "", address)


def _any_true(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_any_true(v) for v in value.values())
    if isinstance(value, list):
        return any(_any_true(v) for v in value)
    return value is True


__all__ = ["add_plan"]
