"""The declarations of one Terraform module directory, as its files write them.

``ModuleSource`` gathers a directory's resources, variables, locals, outputs, module calls and data
blocks; override files (``override.tf``, ``*_override.tf``) merge into them as Terraform merges
them. Nothing here is evaluated: ``ModuleInstance`` (module.py) does that, per call of the module.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Iterator, Optional

from ...limits import Where
from .expressions.evaluate import parsed
from .expressions.references import references
from .expressions.syntax import HclExpressionError
from .hcl import Attribute, Block, Body
from .variables import VariableSpec, variable_spec


@dataclass
class Resource:
    type: str
    name: str
    body: Body
    file: str
    line: int
    column: int = 0
    address: str = field(init=False, compare=False)  # "aws_instance.app": asked for at every step

    def __post_init__(self) -> None:
        self.address = f"{self.type}.{self.name}"


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

    @property
    def absolute_source(self) -> bool:
        """``source = "/opt/modules/x"``: a path outside the repository, never read unless downloaded."""
        source = _literal_string(self.body.attributes.get("source"))
        return bool(source) and (os.path.isabs(source) or re.match(r"[A-Za-z]:[\\/]", source) is not None)


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
    variable_specs: dict[str, VariableSpec] = field(default_factory=dict)  # type, nullable, validation
    partial: bool = False  # a file of the module could not be read: absence proves nothing
    # (file, what, body) of every declaration, indexed by attribute only for a note (see where)
    _declared: list[tuple[str, str, Body]] = field(default_factory=list, repr=False)
    _origins: Optional[dict[int, tuple[str, str]]] = field(default=None, repr=False)
    _characters: Optional[int] = field(default=None, repr=False)
    _local_references: dict[str, list[str]] = field(default_factory=dict, repr=False)

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
        self._declare(path, block)
        if block.type == "resource" and len(block.labels) == 2:
            original = self.resources.get(f"{block.labels[0]}.{block.labels[1]}")
            if original is not None:
                _merge_body(original.body, block.body)
        elif block.type == "locals":
            self.locals.update(block.body.attributes)
        elif block.type == "variable" and block.labels and block.labels[0] in self.variables:
            name = block.labels[0]
            if "default" in block.body.attributes:
                self.variables[name] = block.body.attributes["default"]
            override = variable_spec(block)
            spec = self.variable_specs.setdefault(name, VariableSpec())
            if "type" in block.body.attributes:
                spec.type = override.type
            if "nullable" in block.body.attributes:
                spec.nullable = override.nullable
            if override.validations:
                spec.validations = override.validations
        elif block.type == "output" and block.labels and "value" in block.body.attributes:
            self.outputs[block.labels[0]] = block.body.attributes["value"]
        elif block.type == "module" and block.labels and block.labels[0] in self.calls:
            _merge_body(self.calls[block.labels[0]].body, block.body)

    def _add_block(self, path: str, block: Block) -> None:
        self._declare(path, block)
        if block.type == "resource" and len(block.labels) == 2:
            resource = Resource(block.labels[0], block.labels[1], block.body, path, block.line, block.column)
            self.resources[resource.address] = resource
        elif block.type == "variable" and block.labels:
            self.variables[block.labels[0]] = block.body.attributes.get("default")
            self.variable_specs[block.labels[0]] = variable_spec(block)
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
        """Directories of the other local modules this one calls (``source = "./..."``). A call of
        itself (``source = "./"``) does not make a directory a called module: it is reported as a
        cycle when the module is built."""
        for call in self.calls.values():
            if call.local_source:
                directory = os.path.normpath(os.path.join(self.directory, call.local_source))
                if directory != os.path.normpath(self.directory):
                    yield directory

    def local_references(self, name: str) -> list[str]:
        """The locals that local ``name`` refers to, from its syntax (without evaluating it)."""
        if name not in self._local_references:
            expr = parsed(self.locals[name].source)
            paths = [] if isinstance(expr, HclExpressionError) else references(expr)
            named = [p[1] for p in paths if p[0] == "local" and len(p) > 1]
            self._local_references[name] = [n for n in named if n in self.locals]
        return self._local_references[name]

    def where(self, attribute: Attribute) -> Where:
        """(file, line, what) of an attribute for a note: what is the declaration it belongs to
        (``aws_instance.app``, ``local.x``, ``module.net``)."""
        if self._origins is None:
            self._origins = _origins(self._declared)
        file, what = self._origins.get(id(attribute), (self.directory, attribute.name))
        return attribute.file or file, attribute.line, what

    def expression_characters(self) -> int:
        """Characters of all its expressions: what its tree's evaluation budget grows by (see MAX_STEPS)."""
        if self._characters is None:
            self._characters = sum(len(a.source) for _, _, body in self._declared for a in _attributes(body))
        return self._characters

    def _declare(self, path: str, block: Block) -> None:
        labels = ".".join(block.labels)
        prefix = {"resource": "", "data": "data.", "variable": "var.", "output": "output.", "module": "module."}
        if block.type == "locals":
            self._declared.append((path, "local.", block.body))
        elif block.type in prefix and block.labels:
            self._declared.append((path, prefix[block.type] + labels, block.body))


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


def _literal_string(attribute: Optional[Attribute]) -> Optional[str]:
    if attribute is None:
        return None
    text = attribute.source.strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' and "${" not in text else None


def _origins(declared: list[tuple[str, str, Body]]) -> dict[int, tuple[str, str]]:
    """id of every attribute (nested blocks' included) -> (file, what it belongs to)."""
    return {id(attribute): (file, what + attribute.name if what == "local." else what)
            for file, what, body in declared for attribute in _attributes(body)}


def _attributes(body: Body) -> Iterator[Attribute]:
    """The attributes of a body and of the blocks nested in it, without recursion."""
    stack = [body]
    while stack:
        current = stack.pop()
        yield from current.attributes.values()
        stack.extend(block.body for block in current.blocks)
