"""Terraform modules as Terraform evaluates them.

``ModuleInstance`` is a module's source (source.py) called from somewhere (the root, or
``module.net``, ``module.net["a"]``): it evaluates expressions with its own inputs, expands
``count``/``for_each`` into resource instances (``aws_instance.app[0]``, ``aws_instance.app["blue"]``)
and instantiates the modules it calls, which its loader (loader.py) finds. What cannot be evaluated
(data sources, a count that depends on one, a remote module that was never downloaded) is Unknown.
A module tree shares one Budget (eice_checks.limits): instances, evaluation steps, sizes of values,
nesting; what goes over a limit is Unknown too, with a note.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Iterator, Optional, Union

from ...limits import (
    ATTRIBUTE_STEPS, LONG_STRING, MAX_INSTANCES, MAX_MODULE_DEPTH, MAX_NUMBER_BITS, READ_STEPS, OverLimit, Where,
    check,
)
from ...model.acls import default_acl_key
from ...model.network import default_sg_key
from ...model.values import EntityRef, Unknown, is_unknown
from .expressions.evaluate import environment, evaluate_in, parsed
from .expressions.scope import Traversable
from .expressions.syntax import Literal
from .hcl import Attribute, Body
from .loader import ModuleLoader
from .source import ModuleCall, ModuleSource, Resource
from .variables import MISSING, ValidatedVariable, VariableSpec, finish_variable

# Resource types whose ``id`` is the identity of a modelled entity.
ENTITY_KINDS = {
    "aws_security_group": "sg", "aws_vpc": "vpc", "aws_default_vpc": "vpc", "aws_subnet": "subnet",
    "aws_default_subnet": "subnet", "aws_launch_template": "launch_template", "aws_network_interface": "eni",
    "aws_launch_configuration": "launch_configuration", "aws_ec2_managed_prefix_list": "prefix_list",
    "aws_instance": "instance", "aws_network_acl": "nacl",
}


@dataclass
class Bindings:
    """Names bound for one instance: count.index, each.key/value, a dynamic block's iterator."""

    names: dict[str, Any] = field(default_factory=dict)
    token: str = ""  # identifies the binding set in the evaluation cache

    def bind(self, name: str, value: Any, token: str) -> "Bindings":
        """``token`` tells this value from the others ``name`` is bound to (an index, a key's repr:
        whatever the element, a dynamic block over a set of group ids included)."""
        return Bindings({**self.names, name: value}, f"{self.token}|{name}={token}")


NO_BINDINGS = Bindings()
_MISSING = object()
_INSTANTIATING: Any = object()  # a module call whose instances are being made (see ModuleInstance.child)
_ONE_ELEMENT = {EntityRef, Unknown, int, float, bool, type(None)}  # what Budget.work counts as one element


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


class ModuleInstance:
    def __init__(self, source: ModuleSource, loader: ModuleLoader, prefix: str = "", call_key: str = "",
                 inputs: Optional[dict[str, Callable[[], Any]]] = None, depth: int = 0,
                 ancestors: tuple[str, ...] = (), count_location: Optional[tuple[str, int]] = None,
                 origin: Optional[tuple[str, int]] = None) -> None:
        self.source = source
        self.loader = loader
        loader.grant(source)
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
        self._cache: dict[str, dict[int, Any]] = {}  # binding set's token -> id of attribute -> value
        self._environments: dict[str, Any] = {}  # binding set's token -> what expressions are evaluated in
        self._active: set[tuple[int, str]] = set()
        self._prepared: set[str] = set()  # locals whose dependencies are evaluated (see local)
        self._expansions: dict[str, Union[list[ResourceInstance], Unknown]] = {}
        self._values: dict[str, Any] = {}  # resource address -> its value (see resource_value)
        self._variables: dict[str, Any] = {}  # name -> its value, once (see variable)
        self._children: Optional[dict[str, Union[list[tuple[str, Any, "ModuleInstance"]], Unknown]]] = None
        # What the roots of references (var, local, module, resource types) stand for: made once per
        # module instance, not once per reference.
        self._module_values: dict[str, Any] = {}
        self.roots: dict[str, Traversable] = {}

    def key(self, address: str) -> str:
        return f"{self.scope_key}#{address}"

    # -- evaluation -----------------------------------------------------------------------------
    def evaluate(self, attribute: Attribute, bindings: Bindings = NO_BINDINGS) -> Any:
        """Evaluate once per attribute and binding set (so a chain of references costs each link
        once); a reference cycle, or references nested too deep, yield Unknown with a note."""
        token = bindings.token
        cache = self._cache.get(token)  # (by binding set, then by attribute: no key objects to keep)
        if cache is not None:
            cached = cache.get(id(attribute), _MISSING)
            if cached is not _MISSING:
                return cached
        expr = parsed(attribute.source)
        budget = self.loader.budget
        if type(expr) is Literal and _is_small_scalar(expr.value):  # from_port = 22: nothing to follow
            budget.steps -= ATTRIBUTE_STEPS  # (Budget.step, inline)
            if budget.steps < 0:
                budget.step(0)
            return expr.value
        if cache is None:
            cache = self._cache[token] = {}
            self._environments[token] = environment(_Scope(self, bindings), budget)
        marker = (id(attribute), token)
        if marker in self._active:
            budget.note("its value depends on itself (a reference cycle); unknown", self.source.where(attribute))
            return Unknown("reference cycle")
        try:
            budget.enter(self.source.where, attribute, ATTRIBUTE_STEPS)
        except OverLimit as exc:  # not cached: the same value reached from less deep may be known
            return budget.overrun(exc, self.source.where(attribute))
        self._active.add(marker)
        try:
            value = evaluate_in(expr, self._environments[token])
        finally:
            self._active.discard(marker)
            budget.leave()
        cache[id(attribute)] = value
        return value

    def read(self, attribute: Attribute, bindings: Bindings = NO_BINDINGS) -> Any:
        """A value the model builder reads: evaluated, and the walk through it charged, as one value
        (a local of a hundred thousand CIDRs) may be read by each of ten thousand instances."""
        value = self.evaluate(attribute, bindings)
        budget = self.loader.budget
        if type(value) in _ONE_ELEMENT and budget.steps >= READ_STEPS:  # (most reads: Budget.paid, inline)
            budget.steps -= READ_STEPS
            return value
        return budget.paid(value, self.source.where, attribute)

    def local(self, name: str) -> Any:
        attribute = self.source.locals.get(name)
        if attribute is None:
            return Unknown(f"undeclared local {name}")
        if name not in self._prepared:
            self._prepare(name)
        return self.evaluate(attribute)

    def _prepare(self, name: str) -> None:
        """Evaluate the locals that ``name`` refers to before it, deepest first and without
        recursion: a chain of a thousand locals then nests no deeper than one, each finding the one
        it names evaluated. (A local in a cycle is met again while it waits: it is left to evaluate.)"""
        self._prepared.add(name)
        stack = [(name, iter(self.source.local_references(name)))]
        while stack:
            current, dependencies = stack[-1]
            dependency = next((d for d in dependencies if d not in self._prepared), None)
            if dependency is not None:
                self._prepared.add(dependency)
                stack.append((dependency, iter(self.source.local_references(dependency))))
                continue
            stack.pop()
            if current != name:
                self.evaluate(self.source.locals[current])

    def variable(self, name: str) -> Any:
        """Its value as Terraform passes it on: given or defaulted, converted to its type, null-safe,
        validated (see variables.py); worked out once per module instance."""
        if name not in self.source.variables:
            return Unknown(f"undeclared variable {name}")
        if name not in self._variables:
            self._variables[name] = Unknown(f"variable {name} depends on itself")
            value: Any = MISSING
            if self.inputs is None and name in self.loader.root_variables:
                value = self.loader.root_variables[name]
            elif self.inputs is not None and name in self.inputs:
                value = self.inputs[name]()
            spec = self.source.variable_specs.get(name) or VariableSpec()
            try:
                self._variables[name] = finish_variable(name, spec, value, lambda: self._default(name),
                                                        self._validate(name), self.loader.budget.step)
            except OverLimit as exc:
                self._variables[name] = self.loader.budget.overrun(exc)
        return self._variables[name]

    def _default(self, name: str) -> Any:
        default = self.source.variables[name]
        return MISSING if default is None else self.evaluate(default)

    def _validate(self, name: str) -> Callable[[Attribute, Any], Any]:
        def check_condition(condition: Attribute, value: Any) -> Any:
            bindings = NO_BINDINGS.bind("var", ValidatedVariable(name, value, self.variable), f"validate:{name}")
            return self.evaluate(condition, bindings)
        return check_condition

    # -- count / for_each ------------------------------------------------------------------------
    def expansions(self, body: Body, where: Where, counted: bool = True) -> Union[list[tuple[str, Bindings]], Unknown]:
        """(address suffix, bindings) for each instance count/for_each creates; Unknown when it cannot
        tell, or when they are more than the limits allow (checked before they are made). A single
        instance counts toward the module tree's limit too, unless not ``counted`` (a root module's
        own resources: the file itself bounds them)."""
        if "count" in body.attributes:
            count = self.evaluate(body.attributes["count"])
            if isinstance(count, bool) or not isinstance(count, (int, float)) or not 0 <= count < math.inf:
                return count if is_unknown(count) else Unknown("count is not a number")
            over = self._afford("count", int(count), self.source.where(body.attributes["count"]))
            return over or [(f"[{i}]", NO_BINDINGS.bind("count", {"index": i}, str(i))) for i in range(int(count))]
        if "for_each" in body.attributes:
            items = self.evaluate(body.attributes["for_each"])
            pairs = _for_each_pairs(items)
            if pairs is None:
                return items if is_unknown(items) else Unknown("for_each is not a map or set of strings")
            over = self._afford("for_each", len(pairs), self.source.where(body.attributes["for_each"]))
            return over or [(f'["{k}"]', NO_BINDINGS.bind("each", {"key": k, "value": v}, repr(k)))
                            for k, v in pairs]
        return (counted and self._afford("a single instance", 1, where)) or [("", NO_BINDINGS)]

    def _afford(self, what: str, count: int, where: Where) -> Optional[Unknown]:
        """None when ``count`` more instances fit the limits; else the Unknown that stands for them."""
        budget = self.loader.budget
        try:
            check(count, MAX_INSTANCES, what + " of {}", "instances", "not judged")
            budget.add_instances(count)
        except OverLimit as exc:
            return budget.overrun(exc, where)
        return None

    def resource_instances(self, resource: Resource) -> Union[list[ResourceInstance], Unknown]:
        if resource.address not in self._expansions:
            where = (resource.file, resource.line, resource.address)
            expanded = self.expansions(resource.body, where, counted=bool(self.prefix))
            self._expansions[resource.address] = expanded if is_unknown(expanded) else [
                ResourceInstance(self, resource, f"{self.prefix}{resource.address}{suffix}", bindings)
                for suffix, bindings in expanded]
        return self._expansions[resource.address]

    def resource_value(self, resource: Resource) -> Any:
        """``aws_instance.app`` as expressions see it: one object, a list (count) or a map (for_each)
        of its instances; made once, so that ``aws_instance.app[count.index]`` in each of ten
        thousand instances does not make ten thousand lists of ten thousand."""
        if resource.address not in self._values:
            instances = self.resource_instances(resource)
            value = instances if is_unknown(instances) else _resource_value(resource, instances)
            self._values[resource.address] = value
        return self._values[resource.address]

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
        """Each module call, in the order they are declared: its instances as (address, count index
        or each key, instance), or Unknown."""
        return {name: self.child(name) for name in self.source.calls}

    def child(self, name: str) -> Union[list[tuple[str, Any, "ModuleInstance"]], Unknown, None]:
        """The instances of module call ``name`` (None when there is no such call), made once and on
        demand: a call's count/for_each may read another call's outputs (``for_each = local.apps``,
        a map of ``module.net.subnet_id``), which are then made first. One that reads its own
        outputs is a cycle, which Terraform rejects."""
        children = self._children
        if children is None:
            children = self._children = {}
        instances = children.get(name)
        if instances is _INSTANTIATING:
            call = self.source.calls[name]
            self.loader.budget.note("its count/for_each depends on the module's own outputs (a reference cycle); "
                                    "unknown", (call.file, call.line, f"module.{name}"))
            return Unknown(f"module {name}: its count/for_each depends on its own outputs")
        if instances is None:
            call = self.source.calls.get(name)
            if call is None:
                return None
            children[name] = _INSTANTIATING
            instances = children[name] = self._instantiate(call)
        return instances

    def _instantiate(self, call: ModuleCall) -> Union[list[tuple[str, Any, "ModuleInstance"]], Unknown]:
        where = (call.file, call.line, f"module.{call.name}")
        if self.depth >= MAX_MODULE_DEPTH:
            exc = OverLimit(f"modules nested {self.depth + 1} deep", MAX_MODULE_DEPTH, "levels", "not followed")
            return self.loader.budget.overrun(exc, where)
        call_key = f"{self.call_key}.{call.name}" if self.call_key else call.name
        source = self.loader.source_for(self, call, call_key)
        if is_unknown(source):
            return source
        if source.directory in self.ancestors:  # Terraform rejects it; the rest is still read
            cycle = self.ancestors[self.ancestors.index(source.directory):] + (source.directory,)
            self.loader.budget.note(f"module cycle: {' -> '.join(cycle)}; the calls are not followed", where)
            return Unknown(f"module {call.name} calls a module that is already calling it")
        expanded = self.expansions(call.body, where)
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
        return partial(self.evaluate, attribute, bindings)

    def module_value(self, name: str) -> Any:
        """``module.x`` as expressions see it: its outputs, a list (count) or a map (for_each) of them;
        made once (see resource_value)."""
        if name not in self._module_values:
            self._module_values[name] = self._module_value(name)
        return self._module_values[name]

    def _module_value(self, name: str) -> Any:
        instances = self.child(name)
        if instances is None:
            return Unknown(f"undeclared module {name}")
        if is_unknown(instances):
            return instances
        call = self.source.calls[name]
        if "count" in call.body.attributes:
            return [_ModuleOutputs(child) for _, _, child in instances]
        if "for_each" in call.body.attributes:
            return {key: _ModuleOutputs(child) for _, key, child in instances}
        return _ModuleOutputs(instances[0][2])

    def release(self) -> None:
        """Forget what this instance and those below it worked out (all of it is made again on
        demand). Instances, their values and their children refer to each other: once a module tree
        is built, this frees it by reference counting instead of leaving cycles to the collector,
        whose walks of them were up to a tenth of a scan."""
        stack = [self]
        while stack:
            instance = stack.pop()
            for instances in (instance._children or {}).values():
                if isinstance(instances, list):
                    stack.extend(child for _, _, child in instances)
            instance._children = None
            for forgotten in (instance._cache, instance._environments, instance._expansions, instance._values,
                              instance._variables, instance._module_values, instance.roots):
                forgotten.clear()
            instance._prepared.clear()
        self.loader.budget.forget()  # (the sizes it measured hold values, and so instances)

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
        names = self.bindings.names
        if name in names:
            return names[name]
        module = self.module
        root = module.roots.get(name)
        if root is not None:
            return root
        lookup = _NAMED_ROOTS.get(name)
        if lookup is not None:
            root = module.roots[name] = _Named(lookup, module)
            return root
        if name == "data":
            return Unknown("data source: read at plan time")
        if name in ("count", "each", "self", "path", "terraform"):
            return Unknown(f"{name} is not known here")
        root = self.module.roots[name] = _ResourceType(self.module, name)
        return root


class _Named(Traversable):
    """``var.x``, ``local.x``, ``module.x``: attribute access answered by a method of the module
    instance (held as a function and the instance: no bound method per instance)."""

    def __init__(self, lookup: Callable[[ModuleInstance, str], Any], module: ModuleInstance) -> None:
        self.lookup = lookup
        self.module = module

    def get_attr(self, name: str) -> Any:
        return self.lookup(self.module, name)


_NAMED_ROOTS: dict[str, Callable[[ModuleInstance, str], Any]] = {
    "var": ModuleInstance.variable, "local": ModuleInstance.local, "module": ModuleInstance.module_value}


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
        return self.module.resource_value(resource)


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
        if resource.type in ("aws_vpc", "aws_default_vpc") and name == "default_network_acl_id":
            return EntityRef("nacl", default_acl_key(instance.key), f"default network ACL of {instance.address}")
        if resource.type == "aws_default_network_acl" and name == "id":
            return self.get_attr("default_network_acl_id")
        if resource.type == "aws_instance" and name == "primary_network_interface_id":
            return EntityRef("eni", instance.key, f"{instance.address} (primary network interface)")
        if name == "id" and resource.type in ENTITY_KINDS:
            return EntityRef(ENTITY_KINDS[resource.type], instance.key, instance.address)
        if name in resource.body.attributes:
            return instance.value(name)
        return Unknown(f"{instance.address}.{name} is computed by the provider", computed=True)

    def splat(self) -> Any:
        return [self]  # x[*] on a single object is a one-element list


def _resource_value(resource: Resource, instances: list[ResourceInstance]) -> Any:
    values = [ResourceValue(instance) for instance in instances]
    if "count" in resource.body.attributes:
        return values
    if "for_each" in resource.body.attributes:
        return {_instance_key(instance.bindings): value for instance, value in zip(instances, values)}
    return values[0]


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


def _is_small_scalar(value: Any) -> bool:
    """A literal the budget would admit as it is: returned without a scope, a cache or admission."""
    kind = type(value)
    if kind is str:
        return len(value) < LONG_STRING
    if kind is int:
        return value.bit_length() <= MAX_NUMBER_BITS
    return kind is bool or kind is float or value is None
