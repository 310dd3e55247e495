"""Terraform modules as Terraform evaluates them.

``ModuleSource`` holds the declarations of one directory. ``ModuleInstance`` is that source called
from somewhere (the root, or ``module.net``, ``module.net["a"]``): it evaluates expressions with its
own inputs, expands ``count``/``for_each`` into resource instances (``aws_instance.app[0]``,
``aws_instance.app["blue"]``) and instantiates the modules it calls. What cannot be evaluated
(data sources, a count that depends on one, a remote module that was never downloaded) is Unknown.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional, Union

from ...model.network import default_sg_key
from ...model.values import EntityRef, Unknown, is_unknown
from .expressions.evaluate import evaluate_source
from .expressions.scope import Traversable
from .hcl import Attribute, Block, Body

# Resource types whose ``id`` is the identity of a modelled entity.
ENTITY_KINDS = {
    "aws_security_group": "sg", "aws_vpc": "vpc", "aws_default_vpc": "vpc", "aws_subnet": "subnet",
    "aws_default_subnet": "subnet", "aws_launch_template": "launch_template", "aws_network_interface": "eni",
    "aws_launch_configuration": "launch_configuration", "aws_ec2_managed_prefix_list": "prefix_list",
    "aws_instance": "instance",
}
_MAX_DEPTH = 64  # nested evaluations (locals referring to locals...) before a cycle is assumed
_MAX_MODULE_DEPTH = 16
_MAX_INSTANCES = 10_000  # a guard against count = 1e20 (a hang) until the evaluation budgets of issue 7


@dataclass
class Resource:
    type: str
    name: str
    body: Body
    file: str
    line: int
    column: int = 0

    @property
    def address(self) -> str:
        return f"{self.type}.{self.name}"


@dataclass
class ModuleCall:
    name: str
    body: Body
    file: str
    line: int

    @property
    def local_source(self) -> Optional[str]:
        """The path of a local module (``source = "./..."``); None for a remote one, which only
        ``terraform init`` brings (into .terraform/modules)."""
        source = _literal_string(self.body.attributes.get("source"))
        return source if source and source.startswith(("./", "../")) else None


@dataclass
class ModuleSource:
    """The declarations of one directory of .tf files."""

    directory: str
    resources: dict[str, Resource] = field(default_factory=dict)
    variables: dict[str, Optional[Attribute]] = field(default_factory=dict)  # name -> default
    locals: dict[str, Attribute] = field(default_factory=dict)
    outputs: dict[str, Attribute] = field(default_factory=dict)
    calls: dict[str, ModuleCall] = field(default_factory=dict)
    data: dict[str, Body] = field(default_factory=dict)  # "aws_security_group.app" -> data block body
    set_variables: set[str] = field(default_factory=set)  # variables declared with a set(...) type
    partial: bool = False  # a file of the module could not be read: absence proves nothing

    def add_file(self, path: str, body: Body) -> None:
        """Add a file's blocks; an override file (override.tf, *_override.tf) merges into them
        instead, as Terraform does. Add override files last."""
        override = is_override_file(path)
        for block in body.blocks:
            if override:
                self._merge_block(path, block)
            else:
                self._add_block(path, block)

    def _merge_block(self, path: str, block: Block) -> None:
        """Override semantics: attributes replace the original's; nested blocks replace all of the
        original's blocks of the same type (static or dynamic)."""
        _stamp(block.body, path)
        if block.type == "resource" and len(block.labels) == 2:
            original = self.resources.get(f"{block.labels[0]}.{block.labels[1]}")
            if original is not None:
                _merge_body(original.body, block.body)
        elif block.type == "locals":
            self.locals.update(block.body.attributes)
        elif block.type == "variable" and block.labels and "default" in block.body.attributes:
            self.variables[block.labels[0]] = block.body.attributes["default"]
        elif block.type == "output" and block.labels and "value" in block.body.attributes:
            self.outputs[block.labels[0]] = block.body.attributes["value"]
        elif block.type == "module" and block.labels and block.labels[0] in self.calls:
            _merge_body(self.calls[block.labels[0]].body, block.body)

    def _add_block(self, path: str, block: Block) -> None:
        if block.type == "resource" and len(block.labels) == 2:
            resource = Resource(block.labels[0], block.labels[1], block.body, path, block.line, block.column)
            self.resources[resource.address] = resource
        elif block.type == "variable" and block.labels:
            self.variables[block.labels[0]] = block.body.attributes.get("default")
            if block.body.attributes.get("type") and block.body.attributes["type"].source.startswith("set("):
                self.set_variables.add(block.labels[0])
        elif block.type == "locals":
            self.locals.update(block.body.attributes)
        elif block.type == "output" and block.labels and "value" in block.body.attributes:
            self.outputs[block.labels[0]] = block.body.attributes["value"]
        elif block.type == "module" and block.labels:
            self.calls[block.labels[0]] = ModuleCall(block.labels[0], block.body, path, block.line)
        elif block.type == "data" and len(block.labels) == 2:
            self.data[f"{block.labels[0]}.{block.labels[1]}"] = block.body

    def is_set(self, source: str) -> bool:
        """Whether a for_each expression is a set (each.key is then the element, not an index)."""
        text = source.strip()
        match = re.fullmatch(r"var\.(\w+)", text)
        return text.startswith("toset(") or bool(match and match.group(1) in self.set_variables)

    def local_sources(self) -> Iterator[str]:
        """Directories of the local modules this one calls (``source = "./..."``)."""
        for call in self.calls.values():
            if call.local_source:
                yield os.path.normpath(os.path.join(self.directory, call.local_source))


@dataclass
class Bindings:
    """Names bound for one instance: count.index, each.key/value, a dynamic block's iterator."""

    names: dict[str, Any] = field(default_factory=dict)
    token: str = ""  # identifies the binding set in the evaluation cache

    def bind(self, name: str, value: Any, token: str) -> "Bindings":
        return Bindings({**self.names, name: value}, f"{self.token}|{name}={token}")


NO_BINDINGS = Bindings()


@dataclass
class ResourceInstance:
    """One instance of a resource, e.g. ``module.net.aws_instance.app[0]``."""

    module: "ModuleInstance"
    resource: Resource
    address: str  # as Terraform prints it, module path and index included
    bindings: Bindings
    exists: Optional[bool] = True  # None when count/for_each could not be evaluated

    @property
    def base_address(self) -> str:
        return f"{self.module.prefix}{self.resource.address}"

    @property
    def key(self) -> str:
        return self.module.key(self.address)

    def value(self, name: str, body: Optional[Body] = None) -> Any:
        attribute = (body or self.resource.body).attributes.get(name)
        return None if attribute is None else self.module.evaluate(attribute, self.bindings)


class ModuleLoader:
    """Finds and parses the directories module calls point at; shared by every instance of a scan."""

    def __init__(self, parse_directory: Callable[[str], Optional[ModuleSource]], root: str,
                 root_variables: dict[str, Any]) -> None:
        self.parse_directory = parse_directory
        self.root = root
        self.root_variables = root_variables
        self._downloaded = _downloaded_modules(root)

    def source_for(self, caller: "ModuleInstance", call: ModuleCall, key: str) -> Optional[ModuleSource]:
        if call.local_source:
            return self.parse_directory(os.path.normpath(os.path.join(caller.source.directory, call.local_source)))
        downloaded = self._downloaded.get(key)  # `terraform init` fetched it
        return self.parse_directory(downloaded) if downloaded else None


class ModuleInstance:
    def __init__(self, source: ModuleSource, loader: ModuleLoader, prefix: str = "", call_key: str = "",
                 inputs: Optional[dict[str, Callable[[], Any]]] = None, depth: int = 0,
                 ancestors: tuple[str, ...] = (), count_location: Optional[tuple[str, int]] = None,
                 origin: Optional[tuple[str, int]] = None) -> None:
        self.source = source
        self.loader = loader
        self.prefix = prefix  # "" for the root, "module.net." for a child
        self.call_key = call_key  # "net.sub": how .terraform/modules/modules.json names the call
        self.inputs = inputs
        self.depth = depth
        self.ancestors = ancestors + (source.directory,)  # module directories on the call stack
        self.count_location = count_location  # the count/for_each of the nearest call that expanded
        # For a downloaded module (and the modules it calls): (file, line) of the outermost module call
        # in the user's own code, where findings inside it point. None for the user's own modules.
        self.origin = origin
        self.scope_key = f"{loader.root}::{prefix}" if prefix else loader.root
        self._cache: dict[tuple[int, str], Any] = {}
        self._active: set[tuple[int, str]] = set()
        self._expansions: dict[str, Union[list[ResourceInstance], Unknown]] = {}
        self._children: Optional[dict[str, Union[list[tuple[str, Any, "ModuleInstance"]], Unknown]]] = None

    def key(self, address: str) -> str:
        return f"{self.scope_key}#{address}"

    # -- evaluation -----------------------------------------------------------------------------
    def evaluate(self, attribute: Attribute, bindings: Bindings = NO_BINDINGS) -> Any:
        """Evaluate once per attribute and binding set; a reference cycle yields Unknown."""
        marker = (id(attribute), bindings.token)
        if marker in self._cache:
            return self._cache[marker]
        if marker in self._active or len(self._active) > _MAX_DEPTH:
            return Unknown("reference cycle")
        self._active.add(marker)
        try:
            value = evaluate_source(attribute.source, _Scope(self, bindings))
        finally:
            self._active.discard(marker)
        self._cache[marker] = value
        return value

    def variable(self, name: str) -> Any:
        if name not in self.source.variables:
            return Unknown(f"undeclared variable {name}")
        if self.inputs is None and name in self.loader.root_variables:
            return self.loader.root_variables[name]
        if self.inputs is not None and name in self.inputs:
            return self.inputs[name]()
        default = self.source.variables[name]
        return Unknown(f"variable {name} has no value") if default is None else self.evaluate(default)

    # -- count / for_each ------------------------------------------------------------------------
    def expansions(self, body: Body) -> Union[list[tuple[str, Bindings]], Unknown]:
        """(address suffix, bindings) for each instance count/for_each creates; Unknown when it cannot tell."""
        if "count" in body.attributes:
            count = self.evaluate(body.attributes["count"])
            if isinstance(count, bool) or not isinstance(count, (int, float)) or count < 0:
                return count if is_unknown(count) else Unknown("count is not a number")
            if not count <= _MAX_INSTANCES:  # also infinity and NaN
                return Unknown(f"count is over the budget of {_MAX_INSTANCES} instances")
            return [(f"[{i}]", NO_BINDINGS.bind("count", {"index": i}, str(i))) for i in range(int(count))]
        if "for_each" in body.attributes:
            items = self.evaluate(body.attributes["for_each"])
            pairs = _for_each_pairs(items)
            if pairs is None:
                return items if is_unknown(items) else Unknown("for_each is not a map or set of strings")
            return [(f'["{k}"]', NO_BINDINGS.bind("each", {"key": k, "value": v}, json.dumps(k))) for k, v in pairs]
        return [("", NO_BINDINGS)]

    def resource_instances(self, resource: Resource) -> Union[list[ResourceInstance], Unknown]:
        if resource.address not in self._expansions:
            expanded = self.expansions(resource.body)
            self._expansions[resource.address] = expanded if is_unknown(expanded) else [
                ResourceInstance(self, resource, f"{self.prefix}{resource.address}{suffix}", bindings)
                for suffix, bindings in expanded]
        return self._expansions[resource.address]

    def resource_instances_or_placeholder(self, resource: Resource) -> list[ResourceInstance]:
        """The instances, or one whose existence is unknown when count/for_each cannot be evaluated:
        its settings still tell something (a group's rules), but nothing is concluded from it alone."""
        instances = self.resource_instances(resource)
        if isinstance(instances, list):
            return instances
        unknown = Unknown("instance of a resource whose count/for_each is not known")
        bindings = Bindings({"count": {"index": unknown}, "each": {"key": unknown, "value": unknown}}, "?")
        return [ResourceInstance(self, resource, f"{self.prefix}{resource.address}", bindings, exists=None)]

    # -- module calls ----------------------------------------------------------------------------
    def children(self) -> dict[str, Union[list[tuple[str, Any, "ModuleInstance"]], Unknown]]:
        """Each module call: its instances as (address, count index or each key, instance), or Unknown."""
        if self._children is None:
            self._children = {name: self._instantiate(call) for name, call in self.source.calls.items()}
        return self._children

    def _instantiate(self, call: ModuleCall) -> Union[list[tuple[str, Any, "ModuleInstance"]], Unknown]:
        if self.depth >= _MAX_MODULE_DEPTH:
            return Unknown("modules nested too deeply (a module calling itself?)")
        call_key = f"{self.call_key}.{call.name}" if self.call_key else call.name
        source = self.loader.source_for(self, call, call_key)
        if source is None:
            return Unknown(f"module {call.name}: source not found locally (run terraform init for remote modules)")
        if source.directory in self.ancestors:
            return Unknown(f"module {call.name} calls a module that is already calling it")
        expanded = self.expansions(call.body)
        if is_unknown(expanded):
            return expanded
        instances = []
        for suffix, bindings in expanded:
            address = f"{self.prefix}module.{call.name}{suffix}"
            inputs = {name: self._input(attribute, bindings) for name, attribute in call.body.attributes.items()
                      if name not in ("source", "version", "count", "for_each", "providers", "depends_on")}
            counted = call.body.attributes.get("count") or call.body.attributes.get("for_each")
            location = (call.file, counted.line) if counted else self.count_location
            origin = self.origin or (None if call.local_source else (call.file, call.line))
            instances.append((address, _instance_key(bindings), ModuleInstance(
                source, self.loader, f"{address}.", call_key, inputs, self.depth + 1, self.ancestors, location,
                origin)))
        return instances

    def _input(self, attribute: Attribute, bindings: Bindings) -> Callable[[], Any]:
        return lambda: self.evaluate(attribute, bindings)

    def walk(self) -> Iterator["ModuleInstance"]:
        """This instance and every module instance below it."""
        yield self
        for instances in self.children().values():
            if isinstance(instances, list):
                for _, _, child in instances:
                    yield from child.walk()


class _Scope:
    """Answers the roots of references (var, local, module, resource types) for the evaluator."""

    def __init__(self, module: ModuleInstance, bindings: Bindings) -> None:
        self.module = module
        self.bindings = bindings

    def resolve_root(self, name: str) -> Any:
        if name in self.bindings.names:
            return self.bindings.names[name]
        if name == "var":
            return _Named(self.module.variable)
        if name == "local":
            return _Named(self._local)
        if name == "module":
            return _Named(self._module)
        if name == "data":
            return Unknown("data source: read at plan time")
        if name in ("count", "each", "self", "path", "terraform"):
            return Unknown(f"{name} is not known here")
        return _ResourceType(self.module, name)

    def _local(self, name: str) -> Any:
        attribute = self.module.source.locals.get(name)
        return Unknown(f"undeclared local {name}") if attribute is None else self.module.evaluate(attribute)

    def _module(self, name: str) -> Any:
        instances = self.module.children().get(name)
        if instances is None:
            return Unknown(f"undeclared module {name}")
        if is_unknown(instances):
            return instances
        call = self.module.source.calls[name]
        if "count" in call.body.attributes:
            return [_ModuleOutputs(child) for _, _, child in instances]
        if "for_each" in call.body.attributes:
            return {key: _ModuleOutputs(child) for _, key, child in instances}
        return _ModuleOutputs(instances[0][2])


class _Named(Traversable):
    """``var.x``, ``local.x``, ``module.x``: attribute access answered by a function."""

    def __init__(self, lookup: Callable[[str], Any]) -> None:
        self.lookup = lookup

    def get_attr(self, name: str) -> Any:
        return self.lookup(name)


class _ModuleOutputs(Traversable):
    def __init__(self, module: ModuleInstance) -> None:
        self.module = module

    def get_attr(self, name: str) -> Any:
        attribute = self.module.source.outputs.get(name)
        return Unknown(f"module output {name} is not declared") if attribute is None else self.module.evaluate(attribute)


class _ResourceType(Traversable):
    def __init__(self, module: ModuleInstance, resource_type: str) -> None:
        self.module = module
        self.type = resource_type

    def get_attr(self, name: str) -> Any:
        resource = self.module.source.resources.get(f"{self.type}.{name}")
        if resource is None:
            return Unknown(f"{self.type}.{name} is not declared here")
        instances = self.module.resource_instances(resource)
        if is_unknown(instances):
            return instances
        values = [ResourceValue(instance) for instance in instances]
        if "count" in resource.body.attributes:
            return values
        if "for_each" in resource.body.attributes:
            return {_instance_key(instance.bindings): value for instance, value in zip(instances, values)}
        return values[0]


class ResourceValue(Traversable):
    """A resource instance as expressions see it: ``id`` is its identity; other attributes are what
    the configuration sets, else computed by the provider (Unknown, but certain to exist)."""

    def __init__(self, instance: ResourceInstance) -> None:
        self.instance = instance

    def get_attr(self, name: str) -> Any:
        instance, resource = self.instance, self.instance.resource
        if resource.type == "aws_default_security_group" and name == "id":
            vpc = self.get_attr("vpc_id")
            if isinstance(vpc, EntityRef):
                return EntityRef("sg", default_sg_key(vpc.key), instance.address)
            return Unknown("default security group of an unresolved VPC")
        if resource.type in ("aws_vpc", "aws_default_vpc") and name == "default_security_group_id":
            return EntityRef("sg", default_sg_key(instance.key), f"default security group of {instance.address}")
        if resource.type == "aws_instance" and name == "primary_network_interface_id":
            return EntityRef("eni", instance.key, f"{instance.address} (primary network interface)")
        if name == "id" and resource.type in ENTITY_KINDS:
            return EntityRef(ENTITY_KINDS[resource.type], instance.key, instance.address)
        if name in resource.body.attributes:
            return instance.value(name)
        return Unknown(f"{instance.address}.{name} is computed by the provider", computed=True)

    def splat(self) -> Any:
        return [self]  # x[*] on a single object is a one-element list


def is_override_file(path: str) -> bool:
    name = os.path.basename(path)
    return name == "override.tf" or name.endswith("_override.tf")


def _merge_body(original: Body, override: Body) -> None:
    original.attributes.update(override.attributes)
    replaced = {b.generates for b in override.blocks}
    original.blocks[:] = [b for b in original.blocks if b.generates not in replaced] + override.blocks


def _stamp(body: Body, path: str) -> None:
    """Record the override file on everything it brings, so findings point into it."""
    for attribute in body.attributes.values():
        attribute.file = path
    for block in body.blocks:
        block.file = path
        _stamp(block.body, path)


def _instance_key(bindings: Bindings) -> Any:
    """count.index or each.key of an expanded instance; None for a single one."""
    if "count" in bindings.names:
        return bindings.names["count"]["index"]
    return bindings.names["each"]["key"] if "each" in bindings.names else None


def _for_each_pairs(items: Any) -> Optional[list[tuple[str, Any]]]:
    """for_each over a map (key, value) or a set of strings (each.key == each.value), sorted by key."""
    if isinstance(items, dict):
        return sorted(items.items())
    if isinstance(items, list) and all(isinstance(i, str) for i in items):
        return [(i, i) for i in sorted(set(items))]
    return None


def _literal_string(attribute: Optional[Attribute]) -> Optional[str]:
    if attribute is None:
        return None
    text = attribute.source.strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' and "${" not in text else None


def _downloaded_modules(root: str) -> dict[str, str]:
    """Module call key -> directory, from the manifest `terraform init` writes."""
    manifest = os.path.join(root, ".terraform", "modules", "modules.json")
    try:
        with open(manifest, encoding="utf-8") as handle:
            entries = json.load(handle).get("Modules", [])
        entries = entries if isinstance(entries, list) else []
    except (OSError, ValueError, AttributeError, RecursionError):  # RecursionError: nested absurdly deep
        return {}
    return {e["Key"]: os.path.normpath(os.path.join(root, e["Dir"])) for e in entries
            if isinstance(e, dict) and isinstance(e.get("Key"), str) and e["Key"] and isinstance(e.get("Dir"), str)}
