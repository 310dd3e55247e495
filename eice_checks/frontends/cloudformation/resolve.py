"""Evaluate CloudFormation intrinsic functions as far as a template, its parameters and the other
templates' exports allow. What depends on deploy-time facts becomes Unknown.

Each node of a template is resolved once (memoised by identity), and each template's resolution
runs on a Budget (eice_checks.limits): nesting, steps, sizes of values and of joined text; what
goes over a limit, and a reference cycle, is Unknown with a note. ``Mappings`` hold literal values
only, as CloudFormation requires: ``Fn::FindInMap`` returns them as data, never evaluated."""
from __future__ import annotations

import ipaddress
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional

from ...limits import MAX_CHARACTERS, MAX_ELEMENTS, Budget, OverLimit, Where, check, stack_limit
from ...model.acls import default_acl_key
from ...model.network import default_sg_key
from ...model.values import EntityRef, Unknown, is_unknown
from .loader import LineDict, LineList


class _NoValue:
    """AWS::NoValue: the property is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


@dataclass(frozen=True)
class JoinedText(Unknown):
    """Text joined from values that are not all known strings (``!Join [",", [!Ref SubnetA, !Ref
    SubnetB]]``, ``!Sub "${SubnetA},${SubnetB}"``): as a string it is unknown, but ``Fn::Split`` gives
    back its elements, so a list that crosses stacks as one export keeps each element's identity.
    ``pieces`` are literal strings and opaque values (EntityRef or Unknown), in order."""

    pieces: tuple = ()


class SplitElements(list):
    """``Fn::Split`` of a JoinedText that holds unknown text: the elements it shows are there, but an
    unknown text may hold separators of its own, so positions from ``uncertain_from`` on may shift
    and the list may have more elements than it shows."""

    def __init__(self, items: list, uncertain_from: int) -> None:
        super().__init__(items)
        self.uncertain_from = uncertain_from


# Resource types whose Ref / GetAtt give the identity of a modelled entity.
_REF_KINDS = {
    "AWS::EC2::SecurityGroup": "sg", "AWS::EC2::VPC": "vpc", "AWS::EC2::Subnet": "subnet",
    "AWS::EC2::LaunchTemplate": "launch_template", "AWS::EC2::NetworkInterface": "eni",
    "AWS::AutoScaling::LaunchConfiguration": "launch_configuration", "AWS::EC2::PrefixList": "prefix_list",
    "AWS::EC2::Instance": "instance", "AWS::EC2::NetworkAcl": "nacl",
}
_ID_ATTRIBUTES = {"GroupId", "VpcId", "SubnetId", "LaunchTemplateId", "Id", "PrefixListId"}
# A name holds no "$" or braces: "${${${..." without a closing brace is then read in linear time
# (with [^}]*, each "${" looked ahead to the end of the text).
_SUB_VARIABLE = re.compile(r"\$\{([^${}]*)\}")
_MAX_EXPORT_NAME = 255  # CloudFormation's limit; it also bounds matching a name against the patterns
_PENDING = Unknown("being resolved")  # a condition or attribute met again while it is resolved: a cycle


@dataclass
class Template:
    path: str
    body: LineDict
    resources: LineDict
    parameter_values: dict[str, Any] = field(default_factory=dict)  # overrides of defaults

    def key(self, logical_id: str) -> str:
        return f"{self.path}#{logical_id}"

    def resource_type(self, logical_id: str) -> Optional[str]:
        resource = self.resources.get(logical_id)
        return resource.get("Type") if isinstance(resource, dict) else None

    def properties(self, logical_id: str) -> LineDict:
        resource = self.resources.get(logical_id)
        props = resource.get("Properties") if isinstance(resource, dict) else None
        return props if isinstance(props, dict) else LineDict(getattr(resource, "line", 0))


STACK_NAME = "\x00stack-name\x00"  # stands for ${AWS::StackName} in export names


class Exports:
    """Export names of every template in the scan -> resolvers of their values. A name built from
    the exporting stack's own name (``${AWS::StackName}-VpcId``) is a pattern: stack names are chosen
    at deploy time, so an import matches it when it is the only export that fits."""

    def __init__(self) -> None:
        self.exact: dict[str, Callable[[], Any]] = {}
        self.patterns: list[tuple[re.Pattern, Callable[[], Any]]] = []

    def add(self, name: str, value: Callable[[], Any]) -> None:
        if len(name.replace(STACK_NAME, "x")) > _MAX_EXPORT_NAME:
            return  # CloudFormation rejects it: nothing can import it
        if STACK_NAME in name:
            first, *rest = [re.escape(p) for p in name.split(STACK_NAME)]
            # the stack's name, then the same again (a backreference): no choices to backtrack through
            pattern = first + "(?P<stack>[A-Za-z][-A-Za-z0-9]*)" + "(?P=stack)".join(rest)
            self.patterns.append((re.compile(pattern + r"\Z"), value))
        else:
            self.exact[name] = value

    def clear(self) -> None:
        """Forget the exports once every template is built: their resolvers refer to this object,
        and it to them, a cycle that would otherwise hold every template's values until the
        collector walks them."""
        self.exact.clear()
        self.patterns.clear()

    def find(self, name: str) -> Optional[Callable[[], Any]]:
        if len(name) > _MAX_EXPORT_NAME:
            return None
        if name in self.exact:
            return self.exact[name]
        matches = [value for pattern, value in self.patterns if pattern.match(name)]
        return matches[0] if len(matches) == 1 else None


# The method of Resolver that evaluates each intrinsic function (by name: a table of bound methods
# in each resolver would make it a reference cycle, freed only by the collector).
_FUNCTIONS: dict[str, str] = {
    "Ref": "_ref", "Fn::GetAtt": "_get_att", "Fn::Sub": "_sub", "Fn::If": "_if",
    "Fn::ImportValue": "_import", "Fn::Join": "_join", "Fn::Select": "_select",
    "Fn::Split": "_split", "Fn::FindInMap": "_find_in_map", "Fn::Cidr": "_cidr",
}


class Resolver:
    """Resolves values of one template against its parameters, conditions and the scan's exports."""

    def __init__(self, template: Template, exports: Exports, stack_name_placeholder: bool = False,
                 budget: Optional[Budget] = None) -> None:
        self.template = template
        self.exports = exports
        self.stack_name_placeholder = stack_name_placeholder  # resolving an export's name
        self.budget = budget or Budget.for_template()
        self._conditions: dict[str, Any] = {}
        self._attributes: dict[tuple[str, str], Any] = {}
        self._memo: dict[int, tuple[Any, Any]] = {}  # id of a template node -> (node, its value)
        self._owner = ""  # the resource or output being resolved, for notes

    def resolve(self, value: Any) -> Any:
        """The value of a template node; each node is resolved once (a ``${Var}`` used a thousand
        times in one ``Fn::Sub``, an export imported twice, cost one resolution)."""
        if not isinstance(value, (dict, list)):
            return self._resolve(value)
        memo = self._memo.get(id(value))
        if memo is not None:
            return memo[1]
        result = self._nested(self._resolve, value)
        if isinstance(value, (LineDict, LineList)):  # a node of the template, alive as long as it
            self._memo[id(value)] = (value, result)
        return result

    def read(self, value: Any) -> Any:
        """A value the model builder reads: resolved, and the walk through it charged, as the same
        value (an export, a mapping's list) may be read by any number of resources."""
        return self.budget.paid(self.resolve(value), self._where, value)

    @contextmanager
    def resolving(self, owner: str) -> Iterator[None]:
        """Notes made meanwhile name ``owner`` (a logical id, ``Outputs.VpcId``)."""
        previous, self._owner = self._owner, owner
        try:
            yield
        finally:
            self._owner = previous

    def _nested(self, compute: Callable[[Any], Any], value: Any) -> Any:
        """``compute(value)`` one level deeper, on the budget; over a limit it is Unknown."""
        budget = self.budget
        try:
            budget.enter(self._where, value)
        except OverLimit as exc:
            return budget.overrun(exc, self._where(value))
        try:
            budget.step()
            return budget.admit(compute(value))
        except OverLimit as exc:
            return budget.overrun(exc)
        except RecursionError:
            return budget.overrun(stack_limit())
        finally:
            budget.leave()

    def _where(self, value: Any) -> Where:
        return self.template.path, getattr(value, "line", None) or None, self._owner

    def cycle(self, what: str, where: Optional[Where] = None) -> Unknown:
        """A value that depends on itself (CloudFormation rejects the template): Unknown, noted."""
        self.budget.note(f"{what} depends on itself (a reference cycle); unknown", where)
        return Unknown(f"{what} depends on itself")

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                (name, arg), = value.items()
                if name in _FUNCTIONS:
                    return getattr(self, _FUNCTIONS[name])(arg)
                if isinstance(name, str) and name.startswith("Fn::"):  # (YAML keys may be numbers)
                    return Unknown(f"{name} is not evaluated")
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if isinstance(value, str) and "{{resolve:" in value:
            return Unknown("dynamic reference, resolved at deploy time")  # {{resolve:ssm:...}}
        return value

    # -- Ref and GetAtt -------------------------------------------------------------------------
    def _ref(self, name: Any) -> Any:
        if not isinstance(name, str):
            return Unknown("Ref to a non-string")
        if name == "AWS::NoValue":
            return NO_VALUE
        if name == "AWS::StackName" and self.stack_name_placeholder:
            return STACK_NAME
        if name.startswith("AWS::"):
            return Unknown(f"pseudo parameter {name}")
        parameters = self.template.body.get("Parameters")
        if isinstance(parameters, dict) and name in parameters:
            return self._parameter(name, parameters[name])
        kind = _REF_KINDS.get(self.template.resource_type(name) or "")
        if kind:
            return EntityRef(kind, self.template.key(name), name)
        return Unknown(f"Ref {name}")

    def _parameter(self, name: str, declaration: Any) -> Any:
        declaration = declaration if isinstance(declaration, dict) else {}
        kind = str(declaration.get("Type", "String"))
        if name in self.template.parameter_values:
            value = self.template.parameter_values[name]
        elif "Default" in declaration:
            value = declaration["Default"]
        else:
            return Unknown(f"parameter {name} has no default")
        if is_unknown(value):
            return value  # e.g. UsePreviousValue in a parameters file: the deployed value
        if kind.startswith("AWS::SSM::Parameter::Value"):
            return Unknown(f"parameter {name} is read from SSM at deploy time")
        if kind.startswith("List<") or kind == "CommaDelimitedList":
            if isinstance(value, list):
                return [parameter_text(v).strip() for v in value]
            text = parameter_text(value)
            return [part.strip() for part in text.split(",")] if text else []
        return parameter_text(value)

    def _get_att(self, arg: Any) -> Any:
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        if not (isinstance(arg, list) and len(arg) == 2 and all(isinstance(a, str) for a in arg)):
            return Unknown("Fn::GetAtt with a computed name")
        logical_id, attribute = arg
        resource_type = self.template.resource_type(logical_id)
        kind = _REF_KINDS.get(resource_type or "")
        key = self.template.key(logical_id)
        if resource_type == "AWS::EC2::VPC" and attribute == "DefaultSecurityGroup":
            return EntityRef("sg", default_sg_key(key), f"default security group of {logical_id}")
        if resource_type == "AWS::EC2::VPC" and attribute == "DefaultNetworkAcl":
            return EntityRef("nacl", default_acl_key(key), f"default network ACL of {logical_id}")
        if kind and attribute in _ID_ATTRIBUTES and (attribute != "VpcId" or kind == "vpc"):
            return EntityRef(kind, key, logical_id)
        props = self.template.properties(logical_id)
        if attribute in props and resource_type in ("AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::SecurityGroup"):
            # CidrBlock, VpcId: what the template declares; resolved once, as templates chain them
            known = self._attributes.get((logical_id, attribute))
            if known is _PENDING:
                return self.cycle(f"{logical_id}.{attribute}")
            if known is None:
                self._attributes[(logical_id, attribute)] = _PENDING
                known = _text_or_unknown(self.resolve(props[attribute]), f"{logical_id}.{attribute}")
                self._attributes[(logical_id, attribute)] = known
            return known
        if resource_type is None:
            return Unknown(f"{logical_id} is not a resource of this template")
        return Unknown(f"{logical_id}.{attribute} is computed at deploy time", computed=True)

    # -- other functions ------------------------------------------------------------------------
    def _sub(self, arg: Any) -> Any:
        variables: dict[str, Any] = {}
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
            arg, variables = arg[0], arg[1]
        if not isinstance(arg, str):
            return Unknown("Fn::Sub of a non-string")
        pieces: list[Any] = []
        position = 0
        for match in _SUB_VARIABLE.finditer(arg):
            pieces += [arg[position:match.start()], self._sub_variable(match.group(1).strip(), variables)]
            position = match.end()
        return _joined(pieces + [arg[position:]])

    def _sub_variable(self, name: str, variables: dict[str, Any]) -> Any:
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            value = self.resolve(variables[name])
        elif "." in name:
            value = self._get_att(name.split(".", 1))
        else:
            value = self._ref(name)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        return value if isinstance(value, (EntityRef, Unknown)) else Unknown(f"${{{name}}} is not a string")

    def _if(self, arg: Any) -> Any:
        if not (isinstance(arg, list) and len(arg) == 3):
            return Unknown("malformed Fn::If")
        chosen = self.condition(arg[0])
        if isinstance(chosen, bool):
            return self.resolve(arg[1] if chosen else arg[2])
        first, second = self.resolve(arg[1]), self.resolve(arg[2])  # undecided: known when both agree
        return first if first == second else Unknown("Fn::If on a condition that cannot be evaluated")

    def _import(self, arg: Any) -> Any:
        name = self.resolve(arg)
        self.budget.step(len(self.exports.patterns))  # each is tried
        value = self.exports.find(name) if isinstance(name, str) else None
        if value is not None:
            return value()
        return Unknown(f"Fn::ImportValue {name if isinstance(name, str) else '(computed)'} is not exported by a scanned template")

    # -- conditions -----------------------------------------------------------------------------
    def condition(self, name: Any) -> Any:
        """A named condition's value: True, False, or Unknown."""
        if not isinstance(name, str):
            return Unknown("condition name is not a string")
        known = self._conditions.get(name)
        if known is _PENDING:
            return self.cycle(f"condition {name}")
        if known is None:
            conditions = self.template.body.get("Conditions")
            if not isinstance(conditions, dict) or name not in conditions:
                return Unknown(f"condition {name} is not declared")
            self._conditions[name] = _PENDING
            known = self._conditions[name] = self._truth(conditions[name])
        return known

    def _truth(self, expression: Any) -> Any:
        return self._nested(self._truth_of, expression)  # conditions nest: Fn::Not of Fn::And of ...

    def _truth_of(self, expression: Any) -> Any:
        """Fn::Equals / And / Or / Not / Condition, three-valued: Unknown where a side is unknown."""
        if not (isinstance(expression, dict) and len(expression) == 1):
            return expression if isinstance(expression, bool) else Unknown("not a condition")
        (name, arg), = expression.items()
        items = arg if isinstance(arg, list) else [arg]
        if name == "Condition":
            return self.condition(arg)
        if name == "Fn::Equals" and len(items) == 2:
            left, right = (self.resolve(i) for i in items)
            if any(is_unknown(v) or isinstance(v, (list, dict)) for v in (left, right)):
                return Unknown("Fn::Equals on an unresolved value")
            return _as_text(left) == _as_text(right)
        values = [self._truth(i) for i in items]
        if name == "Fn::Not" and len(values) == 1:
            return values[0] if is_unknown(values[0]) else not values[0]
        if name == "Fn::And":
            return False if False in values else (True if all(v is True for v in values) else Unknown("Fn::And"))
        if name == "Fn::Or":
            return True if True in values else (False if all(v is False for v in values) else Unknown("Fn::Or"))
        return Unknown(f"{name} is not a condition function")

    def _join(self, arg: Any) -> Any:
        if not (isinstance(arg, list) and len(arg) == 2):
            return Unknown("malformed Fn::Join")
        separator, items = self.resolve(arg[0]), self.resolve(arg[1])
        if isinstance(separator, str) and isinstance(items, list):
            pieces: list[Any] = []
            for index, item in enumerate(items):
                pieces += ([separator] if index else []) + [item]
            return _joined(pieces)
        return _first_unknown(separator, items) or Unknown("Fn::Join of unresolved values")

    def _select(self, arg: Any) -> Any:
        if not (isinstance(arg, list) and len(arg) == 2):
            return Unknown("malformed Fn::Select")
        index, items = self.resolve(arg[0]), self.resolve(arg[1])
        unknown = _first_unknown(index, items)
        if unknown:
            return unknown
        try:
            position = int(index)
        except (TypeError, ValueError):
            return Unknown("Fn::Select with an unresolved index")
        if isinstance(items, list) and 0 <= position < getattr(items, "uncertain_from", len(items)):
            return items[position]
        if isinstance(items, SplitElements):
            return Unknown("Fn::Select past an unknown part of a joined list")
        return Unknown("Fn::Select out of range or of an unresolved list")

    def _split(self, arg: Any) -> Any:
        if not (isinstance(arg, list) and len(arg) == 2):
            return Unknown("malformed Fn::Split")
        separator, text = self.resolve(arg[0]), self.resolve(arg[1])
        if isinstance(separator, str) and separator and isinstance(text, str):
            check(text.count(separator) + 1, MAX_ELEMENTS, "a list of {} elements", "elements")
            return text.split(separator)
        if isinstance(separator, str) and separator and isinstance(text, JoinedText):
            return _split_joined(text.pieces, separator)
        return _first_unknown(separator, text) or Unknown("Fn::Split of an unresolved value")

    def _find_in_map(self, arg: Any) -> Any:
        if not (isinstance(arg, list) and len(arg) >= 3):
            return Unknown("malformed Fn::FindInMap")
        names = [self.resolve(a) for a in arg[:3]]
        value: Any = self.template.body.get("Mappings")
        for name in names:
            if not isinstance(name, str) or not isinstance(value, dict) or name not in value:
                return Unknown("Fn::FindInMap key not resolvable")
            value = value[name]
        return _mapping_value(value)

    def _cidr(self, arg: Any) -> Any:
        if not (isinstance(arg, list) and len(arg) == 3):
            return Unknown("malformed Fn::Cidr")
        block, count, bits = (self.resolve(a) for a in arg)
        unknown = _first_unknown(block, count, bits)
        if unknown:
            return unknown
        try:
            if not 1 <= int(count) <= 256:  # CloudFormation's own limit
                return Unknown("Fn::Cidr count outside 1-256")
            network = ipaddress.ip_network(str(block), strict=False)
            prefix = network.max_prefixlen - int(bits)
            subnets = network.subnets(new_prefix=prefix)
            return [str(next(subnets)) for _ in range(int(count))]
        except (ValueError, TypeError, StopIteration):
            return Unknown("Fn::Cidr of unresolved or invalid input")


def _mapping_value(value: Any) -> Any:
    """A value of ``Mappings``: a string (or number, boolean) or a list of them, taken as it is
    written. CloudFormation allows nothing else there, intrinsic functions included, so a mapping
    is never evaluated (one that names itself under an undecided Fn::If would cost 2^n steps)."""
    if _is_scalar(value) or (isinstance(value, list) and all(_is_scalar(item) for item in value)):
        return value
    return Unknown("Fn::FindInMap: a mapping value is a string or a list of strings")


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


def _text_or_unknown(value: Any, what: str) -> Any:
    """An attribute such as CidrBlock or VpcId is a string or an entity's id (Ipv6CidrBlocks: a list
    of them). Anything else in its place is invalid; it would be shared by every reference to it, so
    attributes made of attributes could double at each step."""
    if _is_text(value) or value is NO_VALUE or (isinstance(value, list) and all(_is_text(v) for v in value)):
        return value
    return Unknown(f"{what} is not a string or a list of strings")


def _is_text(value: Any) -> bool:
    return isinstance(value, (str, EntityRef, Unknown))


def exposed(value: Any) -> Any:
    """``value`` with each joined text replaced by the list of its pieces: what ids leave a template
    (an output, a nested stack's parameters) when lists are passed on as joined strings."""
    if isinstance(value, JoinedText):
        return [exposed(p) for p in value.pieces]
    if isinstance(value, list):
        return [exposed(v) for v in value]
    if isinstance(value, dict):
        return {k: exposed(v) for k, v in value.items()}
    return value


def parameter_text(value: Any) -> str:
    """Parameter values are strings; CloudFormation reads a YAML boolean default as "true"/"false"."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _as_text(value: Any) -> str:
    """CloudFormation compares condition operands as strings ("true" == true)."""
    return parameter_text(value)


def _first_unknown(*values: Any) -> Optional[Unknown]:
    """The first Unknown among function arguments, passed on with its reason and kind (a joined text
    inside another function's result is just unknown text)."""
    first = next((v for v in values if is_unknown(v)), None)
    return Unknown(first.reason, first.computed) if isinstance(first, JoinedText) else first


# Characters no resource id or name of a modelled entity holds (sg-0abc, subnet-0abc, a launch
# configuration's name): a separator made of them cannot occur inside one.
_NOT_IN_IDS = frozenset(",;| \t\n")


def _joined(values: list[Any]) -> Any:
    """Text made of ``values`` (Fn::Join, Fn::Sub): a string when all are known text, the one value
    it consists of, else a JoinedText of its pieces (adjacent literals merged, joined texts inside
    spliced in). Its size is checked before it is built: joined texts joined again double."""
    check(sum(len(v.pieces) if isinstance(v, JoinedText) else not isinstance(v, str) for v in values), MAX_ELEMENTS,
          "a text of {} parts", "parts")  # (literal text between them is merged)
    pieces: list[Any] = []
    run: list[str] = []  # adjacent literal text, joined once (adding them up one by one is quadratic)
    length = 0
    for value in values:
        for piece in value.pieces if isinstance(value, JoinedText) else [value]:
            if isinstance(piece, (int, float)) and not isinstance(piece, bool):
                piece = str(piece)
            elif not isinstance(piece, (str, EntityRef, Unknown)):
                piece = Unknown("Fn::Join of a value that is not text")
            if isinstance(piece, str):
                length += len(piece)
                check(length, MAX_CHARACTERS, "a string of {} characters", "characters")
                run.append(piece)
                continue
            if run:
                pieces.append("".join(run))
                run = []
            pieces.append(piece)
    if run:
        pieces.append("".join(run))
    pieces = [p for p in pieces if p != ""]
    if all(isinstance(p, str) for p in pieces):
        return "".join(pieces)
    if len(pieces) == 1:
        return pieces[0]  # !Sub "${AppSg}" is !Ref AppSg
    unknown = next((p for p in pieces if isinstance(p, Unknown)), None)
    if unknown is not None:
        return JoinedText(unknown.reason, unknown.computed, tuple(pieces))
    return JoinedText("text joined from resource ids, known at deploy time", True, tuple(pieces))


def _split_joined(pieces: tuple, separator: str) -> list[Any]:
    """Fn::Split of a JoinedText, element by element: a literal is split, a reference is one whole
    element (or part of one), unknown text may hold separators itself."""
    elements: list[Any] = []
    current: list[Any] = []
    uncertain_from: Optional[int] = None
    atomic_refs = set(separator) <= _NOT_IN_IDS
    for piece in pieces:
        if isinstance(piece, str):
            first, *rest = piece.split(separator)
            current.append(first)
            for chunk in rest:
                elements.append(_element(current))
                current = [chunk]
            continue
        if not (isinstance(piece, EntityRef) and atomic_refs) and uncertain_from is None:
            uncertain_from = len(elements) + 1  # this element is unknown; the ones after may shift
            if len(separator) > 1:  # a separator may begin inside the unknown text and end after it
                return SplitElements(elements + [Unknown("Fn::Split of unknown text")], uncertain_from)
        current.append(piece if isinstance(piece, EntityRef) and atomic_refs else _plain(piece))
    elements.append(_element(current))
    return elements if uncertain_from is None else SplitElements(elements, uncertain_from)


def _element(parts: list[Any]) -> Any:
    """One element of a split joined text: its text, the one reference it consists of, or Unknown."""
    parts = [p for p in parts if p != ""]
    if all(isinstance(p, str) for p in parts):
        return "".join(parts)
    if len(parts) == 1:
        return parts[0]
    return next((p for p in parts if isinstance(p, Unknown)), None) or Unknown("text built from a resource id")


def _plain(value: Any) -> Any:
    """An opaque piece as an element: an entity's id as text is not the entity itself."""
    if isinstance(value, Unknown):
        return value
    return Unknown(f"{getattr(value, 'label', '') or 'a resource id'} split by a separator an id may hold", computed=True)
