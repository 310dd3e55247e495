"""A plan's values known only after apply, from the .tf source beside the plan.

A plan's ``configuration`` records what an expression refers to, not the expression: nothing about
locals (``local.eice_sg``), functions (``element(aws_subnet.x[*].id, 0)``, ``lookup``), literals
beside references (``concat([aws_security_group.app.id], var.shared)``). When the configuration
the plan was made from sits beside it, the value is what the source scan resolves for the same
resource instance: its module tree is evaluated as for a source scan, with the plan's own root
variable values (what ``-var``/tfvars gave Terraform), and the identities found there are those of
the plan's instances of the same address. A value the source cannot resolve either stays Unknown.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Optional

from ...model.values import EntityRef, Unknown, is_unknown


class SourceBeside:
    """The source module tree of a plan's directory, evaluated lazily (once, when a planned value
    first needs it) on one evaluation budget, as a source scan of it would be."""

    def __init__(self, directory: str, variables: Any, read_text: Callable[[str], Optional[str]]) -> None:
        self.directory = directory
        self.read_text = read_text
        # None when the plan records none: then the variables files beside it, as a source scan reads them
        self.variables: Optional[dict[str, Any]] = {
            name: entry.get("value") for name, entry in variables.items()
            if isinstance(entry, dict) and "value" in entry} if isinstance(variables, dict) else None
        self._instances: Optional[dict[str, Any]] = None  # address -> source ResourceInstance
        self.identities: dict[str, EntityRef] = {}  # address -> the plan's identity of that instance

    def _build(self) -> dict[str, Any]:
        from . import TerraformFrontEnd, TerraformInputs
        from .loader import ModuleLoader
        from .module import ModuleInstance

        instances: dict[str, Any] = {}
        front = TerraformFrontEnd(lambda path, errors, confined=True: self.read_text(path), None, [],  # type: ignore[arg-type]
                                  TerraformInputs())
        source = front.parse_directory(self.directory)
        if source is None or source.partial:
            return instances  # nothing beside, or not all of it readable: the plan's values stand
        variables = self.variables if self.variables is not None else front._root_variables(self.directory)
        loader = ModuleLoader(front.parse_directory, self.directory, variables, notes=[])
        for module in ModuleInstance(source, loader).walk():
            for resource in module.source.resources.values():
                expanded = module.resource_instances(resource)
                for instance in expanded if isinstance(expanded, list) else []:
                    instances[instance.address] = instance
        return instances

    def value(self, address: str, name: str) -> Any:
        """The source's value of attribute (or nested blocks) ``name`` of instance ``address``, its
        identities translated to the plan's; Unknown when the source does not resolve it."""
        if self._instances is None:
            try:
                self._instances = self._build()
            except Exception:  # the plan alone is read as before
                self._instances = {}
        instance = self._instances.get(address)
        if instance is None:
            return Unknown("not in the source beside the plan")
        body = instance.resource.body
        if name in body.attributes:
            value = instance.value(name)
        elif any(block.generates == name for block in body.blocks):
            from .build import ModuleBuilder

            value = ModuleBuilder(instance.module, None)._block_values(instance, body, name)  # type: ignore[arg-type]
        else:
            return Unknown(f"{name} is not set in the source")
        return self._translate(value)

    def _translate(self, value: Any) -> Any:
        """Source identities (keyed by the source's module tree) as the plan's (keyed by its ids)."""
        if isinstance(value, EntityRef):
            planned = self.identities.get(value.label)
            return planned if planned is not None and planned.kind == value.kind else (
                value if value.key.startswith(value.kind + "-") else Unknown(f"{value.label}: not in the plan"))
        if isinstance(value, list):
            return [self._translate(item) for item in value]
        if isinstance(value, dict):
            return {key: self._translate(item) for key, item in value.items()}
        return value


def source_beside(path: str, plan: Any, read_text: Callable[[str], Optional[str]]) -> Optional[SourceBeside]:
    directory = os.path.dirname(path) or "."
    try:
        has_source = any(name.endswith(".tf") for name in os.listdir(directory))
    except OSError:
        return None
    return SourceBeside(directory, plan.get("variables"), read_text) if has_source else None


__all__ = ["SourceBeside", "source_beside", "is_unknown"]
