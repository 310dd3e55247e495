"""Terraform plan JSON (``terraform show -json plan.out``) -> the network model.

A plan has every value Terraform could compute: variables, count/for_each, modules and, for
resources that already exist, their real ids. What stays unknown until apply (the id of a security
group about to be created, say) is absent from ``planned_values``; the plan's ``configuration``
still names what it refers to (``aws_security_group.app.id``), which resolves it within the module.
Findings point at the resource's line in the plan file: a plan does not record source lines.

Each plan module becomes a ``PlanModule`` that offers what ``ModuleBuilder`` reads from a module
instance, so resources are turned into the model by the same code as for .tf sources. Instances,
references and declarations are looked up by address, so a plan costs time linear in its size and
in the size of the .tf files beside it.
"""
from __future__ import annotations

import bisect
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional

from ...model.acls import default_acl_key
from ...model.builder import ModelBuilder
from ...model.values import EntityRef, Unknown, is_unknown
from ..cloudformation.loader import LineDict
from .hcl import Attribute, Body
from .plan_source import SourceBeside, source_beside
from .loader import default_root_limit, is_inside
from .module import ENTITY_KINDS, NO_BINDINGS, Bindings, ResourceInstance
from .source import ModuleSource, Resource

_RESOURCE_BLOCK = re.compile(r'^\s*resource\s+"([^"]+)"\s+"([^"]+)"')
_REFERENCE = re.compile(r'^(?P<resource>[a-z][a-z0-9_]*\.[A-Za-z_][\w-]*)(?P<index>\[(?:\d+|"[^"]*")\])?\.(?P<attr>\w+)$')
# Attributes read as lists of ids or ranges: a list known only after apply may also hold literals.
_LIST_ATTRIBUTES = {"security_group_ids", "vpc_security_group_ids", "security_groups", "security_group_names",
                    "cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids", "vpc_zone_identifier"}
_MODULE_OUTPUT = re.compile(r'^module\.(?P<call>[\w-]+)\.(?P<output>[\w-]+)(?:\[(?P<index>\d+)\])?$')
_WHOLE_RESOURCE = re.compile(r'^(?P<resource>[a-z][a-z0-9_]*\.[A-Za-z_][\w-]*)(?P<index>\[(?:\d+|"[^"]*")\])?$')


_PENDING = object()


@dataclass
class ValueAttribute(Attribute):
    """An attribute whose value the plan holds, or will resolve from ``expression`` (its references)."""

    value: Any = None
    expression: Any = None
    configured: bool = True  # set in the configuration (a plan also lists the provider's defaults)
    partial: Any = None  # a planned list whose unknown elements are null
    literals: Optional[bool] = None  # whether its source expression holds literals; None: no source
    index: Any = None  # the resource instance's count.index / each.key
    address: str = ""  # the resource instance's address, module path included
    unknown: Any = None  # its after_unknown: which parts are known only after apply


class PlanModule:
    """One module of a plan (root or ``module.app["blue"]``), shaped like a ModuleInstance."""

    count_location = None  # a plan lists expanded instances; it does not say where count was written

    def __init__(self, path: str, address: str, planned: list[LineDict], configuration: dict,
                 changes: dict[str, dict], declarations: dict[str, "Declaration"],
                 beside: Optional[SourceBeside] = None) -> None:
        self.beside = beside  # the .tf source the plan was made from, when it is beside it
        self.root_variables: dict[str, Any] = {}  # the plan's root variable values (root module only)
        self.prefix = f"{address}." if address else ""
        self.scope_key = f"{path}::{address}" if address else path
        self.path = path
        self.source = ModuleSource(path)
        self._instances: dict[str, ResourceInstance] = {}  # by address within the module
        self._by_resource_address: dict[str, list[str]] = {}  # "type.name" -> its instances' addresses
        self._refs: dict[str, list[EntityRef]] = {}  # "type.name" -> its instances' identities, in count order
        self._by_resource: dict[int, ResourceInstance] = {}
        self._ids: dict[str, str] = {}
        self._resolving: set[int] = set()
        self.parent: Optional["PlanModule"] = None
        self.call_expressions: dict[str, Any] = {}  # the parent's module call: input -> expression
        self.output_expressions: dict[str, Any] = {}
        self.children_by_name: dict[str, "PlanModule"] = {}  # single-instance child module calls
        self.call_index: Any = None  # count.index / each.key of this module instance
        self._declared: set[str] = set()  # "type.name" of the configuration's resources
        self._declared.update(configuration)
        for item in planned:
            # (a resource whose every value is known only after apply has no "values" at all)
            values = item.get("values", LineDict(item.line)) if isinstance(item, LineDict) else None
            if item.get("mode") == "managed" and isinstance(values, LineDict):
                self._add(item, values, configuration, changes.get(str(item.get("address")), {}), declarations)

    def key(self, address: str) -> str:
        """A resource with a known id is that id, so literal ids elsewhere in the plan match it."""
        local = address[len(self.prefix):] if self.prefix and address.startswith(self.prefix) else address
        return self._ids.get(local) or f"{self.scope_key}#{local}"

    def evaluate(self, attribute: Attribute, bindings: Bindings = NO_BINDINGS) -> Any:
        """The planned value; one known only after apply is resolved from its references, lazily,
        once every resource of the module is known (plans list resources alphabetically)."""
        if not isinstance(attribute, ValueAttribute):
            return Unknown("not in the plan")
        if attribute.value is _PENDING:
            if id(attribute) in self._resolving:
                return Unknown("reference cycle")
            self._resolving.add(id(attribute))
            attribute.value = self._after_apply(attribute)
            self._resolving.discard(id(attribute))
        return attribute.value

    read = evaluate  # plan values are trees read from the plan file: walking them is bounded by it

    def _after_apply(self, attribute: ValueAttribute) -> Any:
        if self.beside is not None:  # what the source resolves, where it does
            from_source = self.beside.value(attribute.address, attribute.name)
            if not is_unknown(from_source):
                return from_source
        if isinstance(attribute.expression, list) and isinstance(attribute.partial, list):
            return self._blocks(attribute.expression, attribute.partial, attribute.index)
        if _is_blocks(attribute.partial) and isinstance(attribute.unknown, list):
            return self._one_unknown_field(attribute)
        resolved = self._scalar(attribute, self._from_references(attribute.expression, attribute.index))
        if is_unknown(resolved):
            # configured and known after apply: it will exist (a computed IPv6 range, say)
            return Unknown(resolved.reason, computed=True)
        if isinstance(attribute.partial, list):  # ["sg-0shared", null]: the known elements stay
            known = [v for v in attribute.partial if v is not None]
            found = resolved if isinstance(resolved, list) else [resolved]
            missing = len(attribute.partial) - len(known)
            return known + (found if len(found) == missing else [Unknown("element known after apply")])
        if attribute.name in _LIST_ATTRIBUTES and attribute.literals is not False:
            # references name the resources, not the literal ids beside them: only the source can tell
            return (resolved if isinstance(resolved, list) else [resolved]) + [Unknown("may hold literal ids")]
        return resolved

    @staticmethod
    def children() -> dict:
        return {}  # a plan lists every module's resources itself

    def resource_instances_or_placeholder(self, resource: Resource) -> list[ResourceInstance]:
        return [self._by_resource[id(resource)]]  # each planned instance is a Resource of its own

    def _add(self, item: LineDict, values: LineDict, configuration: dict, change: dict,
             declarations: dict[str, "Declaration"]) -> None:
        address = str(item["address"])
        local_address = address[len(self.prefix):]
        resource_type, name = str(item.get("type")), str(item.get("name"))
        if isinstance(values.get("id"), str):
            self._ids[local_address] = values["id"]
        expressions = configuration.get(f"{resource_type}.{name}", {})
        self._declared.add(f"{resource_type}.{name}")
        unknown = (change.get("change") or {}).get("after_unknown") or {}
        # Where the configuration is beside the plan, point at its declaration; else at the plan.
        declaration = declarations.get(f"{resource_type}.{name}")
        file, line = (declaration.file, declaration.line) if declaration else (self.path, item.line)
        attributes = {k: ValueAttribute(k, "", line if declaration else values.line_of(k), file, value=v,
                                        configured=k in expressions) for k, v in values.items()}
        for attr in set(expressions) | set(unknown):
            if attr in values and not _any_true(unknown.get(attr)):
                continue  # known at plan time
            if attr in expressions:  # known after apply: from what the configuration refers to
                attributes[attr] = ValueAttribute(
                    attr, "", line, file, value=_PENDING, expression=expressions[attr], partial=values.get(attr),
                    literals=declaration.has_literals(attr) if declaration else None, index=item.get("index"),
                    address=address, unknown=unknown.get(attr))
            elif attr in values:  # partly known (a dynamic block's rule whose peer is a new group's id)
                attributes[attr] = ValueAttribute(attr, "", line, file, value=Unknown("partly known after apply"))
            # else: computed by the provider and not set in the configuration: absent, as in the source
        resource = Resource(resource_type, name, Body(attributes=attributes), file, line)
        instance = ResourceInstance(self, resource, address, NO_BINDINGS)  # type: ignore[arg-type]
        self.source.resources[local_address] = resource
        self._instances[local_address] = instance
        self._by_resource_address.setdefault(f"{resource_type}.{name}", []).append(local_address)
        self._by_resource[id(resource)] = instance

    def _has_no_instance(self, reference: str) -> bool:
        match = _REFERENCE.match(reference) or _WHOLE_RESOURCE.match(reference)
        if match is None or match.group("resource") not in self._declared:
            return False
        return not self._by_resource_address.get(match.group("resource"))

    def _from_references(self, expression: Any, index: Any = None) -> Any:
        """A value known only after apply, from what the configuration refers to. References do not
        say how they are combined (``cidrsubnet(x, ...)``), so only identities are trusted: every
        most specific reference must be a resource's ``id`` (or a whole resource: its instances'
        ids), or a variable / module output that is itself one; anything else leaves it Unknown."""
        references = expression.get("references", []) if isinstance(expression, dict) else []
        leaves = _most_specific([r for r in references if isinstance(r, str)])
        per_instance = [r for r in leaves if r in ("count.index", "each.key")]
        if per_instance and index is not None:  # x[count.index].id / x[each.key].id, read back per instance
            leaves = [f"{r}[{json.dumps(index)}]" if _WHOLE_RESOURCE.match(r) else r for r in leaves if r not in per_instance]
        # A resource with no instance can only be referenced under a guard (try, a condition): skip it.
        leaves = [r for r in leaves if not self._has_no_instance(r)]
        values = [self._leaf(r) for r in leaves]
        if not values or any(is_unknown(v) for v in values):
            return Unknown("known after apply")
        flat = [item for v in values for item in (v if isinstance(v, list) else [v])]
        return flat[0] if len(values) == 1 and not isinstance(values[0], list) else flat

    def _blocks(self, expressions: list, planned: list, index: Any) -> Any:
        """Nested blocks (inline ``ingress``) partly known after apply: each planned block's missing
        attributes from the configuration block it comes from, found by its constant attributes
        (a set's blocks are not in the configuration's order); unknown when that is not one block."""
        result = []
        for block in planned:
            if not isinstance(block, dict):
                return Unknown("partly known after apply")
            sources = [e for e in expressions if isinstance(e, dict) and all(
                block.get(k) == v["constant_value"] for k, v in e.items()
                if isinstance(v, dict) and "constant_value" in v and k in block)]
            if len(sources) != 1:
                return Unknown("partly known after apply")
            filled = dict(block)
            for name, expression in sources[0].items():
                if block.get(name) is None and isinstance(expression, dict) and "references" in expression:
                    found = self._from_references(expression, index)
                    if name in _LIST_ATTRIBUTES:  # literals beside the references are not recorded
                        found = (found if isinstance(found, list) else [found]) + [Unknown("may hold literal ids")]
                    filled[name] = found
            result.append(filled)
        return result

    def _one_unknown_field(self, attribute: ValueAttribute) -> Any:
        """Blocks given as one attribute (``ingress`` of ``aws_security_group``): the configuration has
        one expression, with the references of all of them. When one field of one block is known only
        after apply, the references are that field's (the others are known)."""
        unknown = [(i, name) for i, flags in enumerate(attribute.unknown) if isinstance(flags, dict)
                   for name, flag in flags.items() if flag is True]
        if len(unknown) != 1 or len(attribute.unknown) != len(attribute.partial):
            return Unknown("partly known after apply")
        position, name = unknown[0]
        found = self._from_references(attribute.expression, attribute.index)
        if is_unknown(found):
            return Unknown("partly known after apply")
        if name in _LIST_ATTRIBUTES:
            found = (found if isinstance(found, list) else [found])
            if attribute.literals is not False:  # literals beside the references are not recorded
                found = found + [Unknown("may hold literal ids")]
        blocks = [dict(block) for block in attribute.partial]
        blocks[position][name] = found
        return blocks

    def _scalar(self, attribute: ValueAttribute, resolved: Any) -> Any:
        """An attribute that holds one id (``subnet_id``) resolved to a list: the references were a
        splat or a whole resource (``element(aws_subnet.x[*].id, 0)``), and which element is taken is
        not recorded, unless all of them are one."""
        if not isinstance(resolved, list) or attribute.name in _LIST_ATTRIBUTES or not attribute.name.endswith("_id"):
            return resolved
        distinct = {(r.kind, r.key) if isinstance(r, EntityRef) else r for r in resolved if not is_unknown(r)}
        if len(distinct) == 1 and len([r for r in resolved if is_unknown(r)]) == 0:
            return resolved[0]
        return Unknown("one of several ids; which one is not recorded in the plan")

    def _leaf(self, reference: str) -> Any:
        if reference.startswith("var."):
            name = reference[4:]
            if name in self.call_expressions and self.parent is not None:
                return self.parent._from_references(self.call_expressions[name], self.call_index)
            if self.parent is None and name in self.root_variables:  # the plan records the root's values
                return _identities_in(self.root_variables[name])
            return Unknown(f"{reference} is not passed in")
        if reference.startswith("module."):
            match = _MODULE_OUTPUT.match(reference)
            child = self.children_by_name.get(match.group("call")) if match else None
            if child is None:
                return Unknown(f"{reference} is not resolvable")
            value = child.output(match.group("output"))
            if match.group("index") is None:
                return value
            index = int(match.group("index"))  # module.vpc.private_subnets[0]
            return value[index] if isinstance(value, list) and index < len(value) else Unknown(f"{reference}")
        match = _REFERENCE.match(reference) or _WHOLE_RESOURCE.match(reference)
        if match is None or match.group("resource").split(".", 1)[0] not in ENTITY_KINDS:
            return Unknown(f"{reference} is not an identity")
        base, index, attr = match.group("resource"), match.group("index"), match.groupdict().get("attr")
        refs = self._identities(base)
        if index:
            refs = [self._identity(base + index)] if base + index in self._instances else []
        if attr is None:  # a whole resource (a splat): the ids of all its instances; one instance: its id
            return refs if not index else (refs[0] if len(refs) == 1 else Unknown(f"{reference} is not planned"))
        if attr == "default_network_acl_id" and len(refs) == 1 and refs[0].kind == "vpc":
            return EntityRef("nacl", default_acl_key(refs[0].key), f"default network ACL of {refs[0].label}")
        if attr != "id" or len(refs) != 1:
            return Unknown(f"{reference} is not an identity")
        return refs[0]

    def _identities(self, base: str) -> list[EntityRef]:
        """The identities of a resource's instances, in count order; made once per resource."""
        if base not in self._refs:
            addresses = sorted(self._by_resource_address.get(base, []), key=_index_order)
            self._refs[base] = [self._identity(a) for a in addresses]
        return self._refs[base]

    def _identity(self, address: str) -> EntityRef:
        kind = ENTITY_KINDS[address.split(".", 1)[0]]
        return EntityRef(kind, self.key(address), self._instances[address].address)

    def identities(self) -> dict[str, EntityRef]:
        """Full address -> identity of each of its instances that the model keeps as an entity."""
        return {self._instances[local].address: self._identity(local) for local in self._instances
                if local.split(".", 1)[0] in ENTITY_KINDS}

    def output(self, name: str) -> Any:
        expression = self.output_expressions.get(name)
        return self._from_references(expression) if expression is not None else Unknown(f"output {name}")


def add_plan(path: str, plan: LineDict, builder: ModelBuilder,
             read_text: Optional[Callable[[str], Optional[str]]] = None) -> int:
    """Add the resources of a plan; returns how many were read. ``read_text``: how the .tf files
    beside it are read (the scan's safe reader; by default the same reader, unconfined)."""
    from .build import ModuleBuilder

    changes = {str(c.get("address")): c for c in plan.get("resource_changes") or [] if isinstance(c, dict)}
    root_configuration = (plan.get("configuration") or {}).get("root_module") or {}
    configuration = _configuration_by_module(root_configuration)
    declarations = _declarations(os.path.dirname(path) or ".", root_configuration, read_text or _read_file)
    beside = source_beside(path, plan, read_text or _read_file) if declarations.get("") else None
    modules: dict[str, PlanModule] = {}
    for address, module in _planned_modules((plan.get("planned_values") or {}).get("root_module") or {}):
        module_path = _strip_indexes(address)
        modules[address] = PlanModule(path, address, module.get("resources") or [],
                                      configuration.get(module_path, {}).get("resources", {}), changes,
                                      declarations.get(module_path, {}), beside)
    _link(modules, configuration)
    if "" in modules and isinstance(plan.get("variables"), dict):
        modules[""].root_variables = {name: entry.get("value") for name, entry in plan["variables"].items()
                                      if isinstance(entry, dict) and "value" in entry}
    if beside is not None:
        for plan_module in modules.values():
            beside.identities.update(plan_module.identities())
    for plan_module in modules.values():
        ModuleBuilder(plan_module, builder).build()  # type: ignore[arg-type]  # PlanModule has the same shape
    return sum(len(m.source.resources) for m in modules.values())


def _link(modules: dict[str, PlanModule], configuration: dict[str, dict]) -> None:
    """Give each planned module its caller, the call's expressions and its outputs' expressions."""
    for address, module in modules.items():
        module.output_expressions = configuration.get(_strip_indexes(address), {}).get("outputs", {})
        if not address:
            continue
        parent_address, _, call = address.rpartition(".module.") if ".module." in address else ("", "", address[len("module."):])
        call_name = re.sub(r'\[(?:\d+|"[^"]*")\]$', "", call)
        parent = modules.get(parent_address)
        if parent is None:
            continue
        module.parent = parent
        index = re.search(r'\[(\d+|"[^"]*")\]$', call)
        module.call_index = json.loads(index.group(1)) if index else None
        module.call_expressions = configuration.get(_strip_indexes(parent_address), {}).get("calls", {}).get(call_name, {})
        if call_name == call:  # no count/for_each: `module.x.output` names this one instance
            parent.children_by_name[call_name] = module


@dataclass
class Declaration:
    """Where a resource is declared beside the plan, and its block's text."""

    file: str
    line: int
    text: str
    _literals: dict[str, Optional[bool]] = field(default_factory=dict, repr=False)

    def has_literals(self, attribute: str) -> Optional[bool]:
        """Whether the attribute's expression holds a string literal (which plan references omit);
        once per attribute, as every instance of the resource asks."""
        if attribute not in self._literals:
            self._literals[attribute] = self._find_literals(attribute)
        return self._literals[attribute]

    def _find_literals(self, attribute: str) -> Optional[bool]:
        # ([ \t], not \s, which also matches line ends: each line would look ahead over all the blank
        # lines after it)
        match = re.search(rf"^[ \t]*{re.escape(attribute)}[ \t]*=[ \t]*(.*)$", self.text, re.M)
        if match is None:
            return None
        expression = self.text[match.start(1):]
        depth, end = 0, len(expression)
        for position, char in enumerate(expression):  # up to the end of the (bracketed) expression
            depth += char in "[({"
            depth -= char in "])}"
            if char == "\n" and depth <= 0:
                end = position
                break
        return '"' in expression[:end]


def _declarations(directory: str, module: dict, read_text: Callable[[str], Optional[str]], address: str = "",
                  limit: str = "", read: Optional[dict[str, dict[str, Declaration]]] = None
                  ) -> dict[str, dict[str, Declaration]]:
    """Module path -> "type.name" -> its declaration in the .tf files beside the plan and in the local
    modules it calls (inside ``limit``, as for .tf sources: see ModuleLoader), each directory read
    once however many calls name it: plans carry no source lines."""
    limit = limit or os.path.realpath(default_root_limit(directory))
    read = {} if read is None else read
    if directory not in read:
        read[directory] = _declarations_below(directory, limit, read_text)
    result = {address: read[directory]}
    for name, call in (module.get("module_calls") or {}).items():
        source = call.get("source") if isinstance(call, dict) else None
        if isinstance(source, str) and source.startswith(("./", "../")) and isinstance(call.get("module"), dict):
            child = f"{address}.module.{name}" if address else f"module.{name}"
            called = os.path.normpath(os.path.join(directory, source))
            result.update(_declarations(called, call["module"], read_text, child, limit, read))
    return result


def _declarations_below(directory: str, limit: str, read_text: Callable[[str], Optional[str]]
                        ) -> dict[str, Declaration]:
    """The declarations of one directory's .tf files inside the limit (read as every input is)."""
    found: dict[str, Declaration] = {}
    try:
        names = sorted(os.listdir(directory)) if is_inside(directory, limit) else []
    except OSError:
        return found
    for name in names:
        file = os.path.normpath(os.path.join(directory, name))
        if name.endswith(".tf") and is_inside(file, limit):
            text = read_text(file)
            if text is not None:
                _declarations_in(file, text, found)
    return found


def _read_file(path: str) -> Optional[str]:
    from ...files import FileReader, UnreadableFile

    try:
        return FileReader().read_text(path, confined=False)
    except UnreadableFile:
        return None


def _declarations_in(file: str, text: str, found: dict[str, Declaration]) -> None:
    """The resource blocks of one file, each up to the next line that starts with "}" or a block."""
    lines = text.splitlines()
    starts = [(number, match) for number, match in enumerate(map(_RESOURCE_BLOCK.match, lines)) if match]
    ends = _block_ends(lines)
    for (number, match), following in zip(starts, [n for n, _ in starts[1:]] + [len(lines)]):
        end = min(ends[number], following)
        declaration = Declaration(file, number + 1, "\n".join(lines[number:end]))
        found.setdefault(f"{match.group(1)}.{match.group(2)}", declaration)


def _block_ends(lines: list[str]) -> list[int]:
    """For each line, the index of the next line after it that starts with "}" (else the end): one
    pass from the end, not a search from each block (quadratic when no line starts with "}")."""
    ends, following = [0] * len(lines), len(lines)
    for number in range(len(lines) - 1, -1, -1):
        ends[number] = following
        if lines[number].startswith("}"):
            following = number
    return ends


def _planned_modules(module: dict, address: str = "") -> Iterator[tuple[str, dict]]:
    yield address, module
    for child in module.get("child_modules") or []:
        if isinstance(child, dict):
            yield from _planned_modules(child, str(child.get("address", "")))


def _configuration_by_module(module: dict, address: str = "") -> dict[str, dict[str, dict]]:
    """Module address (without instance keys) -> {"resources": "type.name" -> expressions,
    "calls": call name -> input expressions, "outputs": name -> expression}."""
    calls = module.get("module_calls") or {}
    result = {address: {
        "resources": {f"{r.get('type')}.{r.get('name')}": r.get("expressions") or {}
                      for r in module.get("resources") or [] if isinstance(r, dict)},
        "calls": {name: call.get("expressions") or {} for name, call in calls.items() if isinstance(call, dict)},
        "outputs": {name: output.get("expression") for name, output in (module.get("outputs") or {}).items()
                    if isinstance(output, dict)},
    }}
    for name, call in calls.items():
        if isinstance(call, dict) and isinstance(call.get("module"), dict):
            child = f"{address}.module.{name}" if address else f"module.{name}"
            result.update(_configuration_by_module(call["module"], child))
    return result


def _most_specific(references: list[str]) -> list[str]:
    """The references no other one extends (``a.b`` is dropped beside ``a.b.id`` or ``a.b[0]``):
    those that extend one are next to where it would be in sorted order, so each is looked up
    there instead of comparing every pair."""
    ordered = sorted(references)

    def extended(reference: str) -> bool:
        for prefix in (reference + ".", reference + "["):
            position = bisect.bisect_left(ordered, prefix)
            if position < len(ordered) and ordered[position].startswith(prefix):
                return True
        return False

    return [reference for reference in references if not extended(reference)]


def _index_order(address: str) -> tuple:
    """x[2] before x[10]: instances in count order."""
    match = re.search(r"\[(\d+)\]$", address)
    return (0, int(match.group(1)), "") if match else (1, 0, address)


def _strip_indexes(address: str) -> str:
    return re.sub(r'\[(?:\d+|"[^"]*")\]', "", address)


def _is_blocks(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) for item in value)


def _identities_in(value: Any) -> Any:
    """A root variable's value as a reference reads it: ids (strings) and lists of them; anything
    else is Unknown (references do not say what is made of it)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    return Unknown("a variable that is not an id or a list of ids")


def _any_true(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_any_true(v) for v in value.values())
    if isinstance(value, list):
        return any(_any_true(v) for v in value)
    return value is True


__all__ = ["add_plan"]
