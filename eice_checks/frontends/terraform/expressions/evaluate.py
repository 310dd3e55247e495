"""Syntax tree + Scope -> value: ``evaluate`` and ``evaluate_source``.

Evaluation never raises: whatever cannot be known statically, and whatever Terraform would reject,
becomes ``Unknown``. Failures are ``Unknown`` values whose reason starts with ``"error: "`` so that
``try()`` and ``can()`` can tell a failure from a merely unknown value. Evaluation runs on a
``Budget`` (eice_checks.limits): every node is a step, every value is admitted by size, and what
goes over a limit is Unknown, not an error (``try()`` must not fall back past it to a value that
only looks known).
"""
from __future__ import annotations

import math
import operator
from typing import Any, Callable, Iterator

from eice_checks.limits import LONG_STRING, MAX_CHARACTERS, Budget, OverLimit, check, stack_limit
from eice_checks.model.values import Unknown

from .conversions import (
    ERROR, EvalError, Unknowable, as_bool, decide, equal, has_error, map_key, normalize, render, require_list,
    to_bool, to_index, to_number, type_name, unknowable, unknowns,
)
from .functions import FLAT_COST, FUNCTIONS, UNKNOWN_ARGS_OK
from .parser import parsed
from .scope import Scope, Traversable
from .syntax import (
    Binary, Conditional, Expr, ForExpr, FunctionCall, GetAttr, HclExpressionError, Index, Literal, ObjectExpr,
    Parens, Splat, SplatItem, Template, TemplateFor, TemplateIf, TemplateWrap, TupleExpr, Unary, Variable,
)


class _Env:
    __slots__ = ("scope", "names", "budget")

    def __init__(self, scope: Scope, names: dict[str, Any], budget: Budget) -> None:
        self.scope = scope
        self.names = names  # local names: for-expression variables and splat items
        self.budget = budget

    def bind(self, bindings: dict[str, Any]) -> _Env:
        return _Env(self.scope, {**self.names, **bindings}, self.budget)


_NO_NAMES: dict[str, Any] = {}  # (never changed: binding makes a new dict)


def environment(scope: Scope, budget: Budget) -> _Env:
    """What ``evaluate_in`` evaluates in: made once per scope by a caller that evaluates many
    expressions in it (a module instance, per binding set)."""
    return _Env(scope, _NO_NAMES, budget)


def evaluate_in(expr: Expr | HclExpressionError, env: _Env) -> Any:
    """``evaluate_parsed`` in an environment from ``environment``."""
    if type(expr) is HclExpressionError:
        return Unknown(f"syntax: {expr.message} at offset {expr.offset}")
    return _eval(expr, env)


def evaluate(expr: Expr, scope: Scope, budget: Budget | None = None) -> Any:
    """Value of a parsed expression; never raises (what cannot be known is Unknown). Without a
    budget (a variables file, a -var value), it gets one of its own."""
    return _eval(expr, _Env(scope, _NO_NAMES, budget or Budget()))


def evaluate_source(src: str, scope: Scope, budget: Budget | None = None) -> Any:
    """Parse and evaluate; a syntax error yields Unknown("syntax: ...")."""
    return evaluate_parsed(parsed(src), scope, budget)


def evaluate_parsed(expr: Expr | HclExpressionError, scope: Scope, budget: Budget | None = None) -> Any:
    """Evaluate what ``parsed`` returned; a syntax error yields Unknown("syntax: ...")."""
    if isinstance(expr, HclExpressionError):
        return Unknown(f"syntax: {expr.message} at offset {expr.offset}")
    return evaluate(expr, scope, budget)


# Types whose values have no size to measure (references, unknowns, booleans, floats, None):
# Budget.admit returns them as they are.
_ADMITTED_AS_IS: dict[type, bool] = {}


def _eval(node: Expr, env: _Env) -> Any:
    budget = env.budget
    try:
        budget.steps -= 1  # Budget.step, inline: this runs for every node
        if budget.steps < 0:
            budget.step(0)
        value = _EVALUATORS[type(node)](node, env)
        kind = type(value)  # (what Budget.admit would return unmeasured, told apart inline: most values)
        as_is = _ADMITTED_AS_IS.get(kind)
        if as_is is None:
            as_is = _ADMITTED_AS_IS[kind] = kind is bool or not issubclass(kind, (list, dict, str, int))
        if as_is or kind is str and len(value) < LONG_STRING:
            return value
        return budget.admit(value)
    except Unknowable as exc:
        return exc.value
    except OverLimit as exc:
        return budget.overrun(exc)
    except RecursionError:  # nested deeper than Python allows (a chain of thousands of operators)
        return budget.overrun(stack_limit())
    except Exception as exc:  # never raise: a failure is confined to the node that failed
        return Unknown(f"{ERROR}{exc}")


def _eval_variable(node: Variable, env: _Env) -> Any:
    if node.name in env.names:
        return env.names[node.name]
    return env.scope.resolve_root(node.name)


def _eval_splat(node: Splat, env: _Env) -> Any:
    source = _eval(node.source, env)
    if isinstance(source, Traversable):
        source = source.splat()
    if isinstance(source, Unknown):
        return source
    items = [] if source is None else source if isinstance(source, list) else [source]
    slot = _splat_name(node.slot)
    tally = env.budget.tally()
    return [tally.add(_eval(node.each, env.bind({slot: item}))) for item in items]


def _splat_name(slot: int) -> str:
    return f"\0splat{slot}"  # cannot clash with an identifier


def _eval_object(node: ObjectExpr, env: _Env) -> dict[str, Any]:
    tally = env.budget.tally()
    result: dict[str, Any] = {}
    for key, value in node.items:
        name = map_key(_eval(key, env))
        result[name] = tally.add(_eval(value, env), name)
    return result


def _eval_tuple(node: TupleExpr, env: _Env) -> list[Any]:
    tally = env.budget.tally()
    return [tally.add(_eval(item, env)) for item in node.items]


def _eval_unary(node: Unary, env: _Env) -> Any:
    value = _eval(node.operand, env)
    if node.op == "!":
        return not to_bool(value)
    return -to_number(value)


def _eval_binary(node: Binary, env: _Env) -> Any:
    left, right = _eval(node.left, env), _eval(node.right, env)
    if node.op in ("&&", "||"):
        return _logical(node.op, as_bool(left), as_bool(right))
    if node.op in ("==", "!="):
        env.budget.charge(left, right)  # a deep comparison
        same = equal(left, right)
        return same if isinstance(same, Unknown) else same == (node.op == "==")
    return _ARITHMETIC[node.op](to_number(left), to_number(right))


def _logical(op: str, left: bool | Unknown, right: bool | Unknown) -> bool | Unknown:
    """&& and || answer when the known side decides, even if the other side is Unknown."""
    return decide((left, right), decisive=op == "||")


def _eval_conditional(node: Conditional, env: _Env) -> Any:
    condition = as_bool(_eval(node.condition, env))
    if condition is True:
        return _eval(node.if_true, env)
    if condition is False:
        return _eval(node.if_false, env)
    if_true, if_false = _eval(node.if_true, env), _eval(node.if_false, env)
    env.budget.charge(if_true, if_false)  # a deep comparison
    return if_true if equal(if_true, if_false) is True else condition


def _eval_call(node: FunctionCall, env: _Env) -> Any:
    if node.name in _LAZY_FUNCTIONS:
        return _LAZY_FUNCTIONS[node.name](node.args, env)
    function = FUNCTIONS.get(node.name)
    if function is None:
        return Unknown(f"function {node.name}")
    args = [_eval(arg, env) for arg in node.args]
    if node.expand_final and args:
        args.extend(require_list(args.pop(), "expansion"))
    if node.name not in UNKNOWN_ARGS_OK:
        for arg in args:
            if isinstance(arg, Unknown):
                return arg
    if node.name not in FLAT_COST:  # the function goes through its arguments
        env.budget.charge(*args)
    try:
        return function(*args)
    except (Unknowable, EvalError, OverLimit, RecursionError):  # (too deep is no error: see _eval)
        raise
    except Exception as exc:  # bad argument types and the like
        raise EvalError(f"{node.name}: {exc}") from exc


def _eval_for(node: ForExpr, env: _Env) -> Any:
    collection = _eval(node.collection, env)
    tally = env.budget.tally()  # nested for expressions multiply: stop as soon as the result is too large
    if node.key is None:
        return [
            tally.add(_eval(node.value, inner))
            for inner in _iterations(node.key_var, node.value_var, collection, env)
            if _included(node.condition, inner)
        ]
    result: dict[str, Any] = {}
    for inner in _iterations(node.key_var, node.value_var, collection, env):
        if not _included(node.condition, inner):
            continue
        key = map_key(_eval(node.key, inner))
        value = tally.add(_eval(node.value, inner), "" if key in result else key)
        if node.group:
            result.setdefault(key, []).append(value)
        elif key in result:
            raise EvalError(f"duplicate key {key!r} in for expression (use ... to group)")
        else:
            result[key] = value
    return result


def _iterations(key_var: str | None, value_var: str, collection: Any, env: _Env) -> Iterator[_Env]:
    """One environment per element: lists by index, maps by sorted key, as Terraform does."""
    if isinstance(collection, list):
        pairs: Any = enumerate(collection)
    elif isinstance(collection, dict):
        pairs = sorted(collection.items())
    else:
        unknowable(collection, "iteration")
        raise EvalError(f"cannot iterate over {type_name(collection)}")
    for key, value in pairs:
        yield env.bind({value_var: value} if key_var is None else {key_var: key, value_var: value})


def _included(condition: Expr | None, env: _Env) -> bool:
    """An Unknown filter makes the whole result Unknown: its length cannot be known."""
    return condition is None or to_bool(_eval(condition, env))


def _render_parts(parts: list[Expr], env: _Env) -> str:
    out: list[str] = []
    length = 0
    for text in _rendered(parts, env):
        length += len(text)  # checked as it grows: "${local.s}${local.s}" doubles what it names
        check(length, MAX_CHARACTERS, "a string of {} characters", "characters")
        out.append(text)
    return "".join(out)


def _rendered(parts: list[Expr], env: _Env) -> Iterator[str]:
    for part in parts:
        if isinstance(part, TemplateIf):
            chosen = part.then if to_bool(_eval(part.condition, env)) else part.otherwise
            yield _render_parts(chosen, env)
        elif isinstance(part, TemplateFor):
            collection = _eval(part.collection, env)
            for inner in _iterations(part.key_var, part.value_var, collection, env):
                yield _render_parts(part.body, inner)
        else:
            yield render(_eval(part, env))


def _eval_get_attr(node: GetAttr, env: _Env) -> Any:
    """``obj.name``. A name as the object (``var`` in ``var.x``, a resource type, a for variable) is
    resolved here rather than as a node of its own: a third of all nodes are such names, and their
    values are references or were measured where they were made."""
    obj = node.obj
    if type(obj) is Variable:
        env.budget.steps -= 1  # the step its node would cost (the budget is checked at the next node)
        value = _eval_variable(obj, env)
    else:
        value = _eval(obj, env)
    if isinstance(value, Traversable):  # (the common case, before _get_attr's others)
        return value.get_attr(node.name)
    return _get_attr(value, node.name)


def _get_attr(obj: Any, name: str) -> Any:
    if isinstance(obj, Traversable):
        return obj.get_attr(name)
    if isinstance(obj, dict):
        if name in obj:
            return obj[name]
        raise EvalError(f"no attribute {name!r}")
    unknowable(obj, f"attribute {name}")
    raise EvalError(f"{type_name(obj)} has no attribute {name!r}")


def _index(obj: Any, key: Any) -> Any:
    if isinstance(obj, Unknown):
        return obj
    if isinstance(key, Unknown):
        return key
    if isinstance(obj, Traversable):
        return obj.get_index(key)
    if isinstance(obj, list):
        position = to_index(key)
        if position >= len(obj):
            raise EvalError(f"index {position} out of range for a list of {len(obj)}")
        return obj[position]
    if isinstance(obj, dict):
        name = map_key(key)
        if name not in obj:
            raise EvalError(f"no key {name!r}")
        return obj[name]
    unknowable(obj, "index")
    raise EvalError(f"cannot index {type_name(obj)}")


_EVALUATORS: dict[type, Callable[[Any, _Env], Any]] = {
    Literal: lambda node, env: node.value,
    Template: lambda node, env: _render_parts(node.parts, env),
    TemplateWrap: lambda node, env: _eval(node.expr, env),
    Parens: lambda node, env: _eval(node.expr, env),
    Variable: _eval_variable,
    GetAttr: _eval_get_attr,
    Index: lambda node, env: _index(_eval(node.obj, env), _eval(node.key, env)),
    Splat: _eval_splat,
    SplatItem: lambda node, env: env.names[_splat_name(node.slot)],
    TupleExpr: _eval_tuple,
    ObjectExpr: _eval_object,
    FunctionCall: _eval_call,
    Unary: _eval_unary,
    Binary: _eval_binary,
    Conditional: _eval_conditional,
    ForExpr: _eval_for,
}


def _divide(a: int | float, b: int | float) -> int | float:
    if b == 0:
        raise EvalError("division by zero")
    if isinstance(a, int) and isinstance(b, int) and a % b == 0:
        return a // b
    return normalize(a / b)


def _modulo(a: int | float, b: int | float) -> int | float:
    """Remainder with the sign of the dividend, as Terraform computes it."""
    if b == 0:
        raise EvalError("modulo by zero")
    if isinstance(a, int) and isinstance(b, int):
        remainder = abs(a) % abs(b)
        return -remainder if a < 0 else remainder
    return normalize(math.fmod(a, b))


_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: normalize(a + b),
    "-": lambda a, b: normalize(a - b),
    "*": lambda a, b: normalize(a * b),
    "/": _divide,
    "%": _modulo,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _fn_try(args: list[Expr], env: _Env) -> Any:
    for arg in args:
        value = _eval(arg, env)
        env.budget.charge(value)  # has_error goes through the value
        if not has_error(value):
            return value
    raise EvalError("try: no argument could be evaluated")


def _fn_can(args: list[Expr], env: _Env) -> Any:
    if len(args) != 1:
        raise EvalError("can: exactly one argument is required")
    value = _eval(args[0], env)
    env.budget.charge(value)  # has_error goes through the value
    if has_error(value):
        return False
    return next(unknowns(value), True)


# These receive their argument expressions unevaluated: they must observe failures, not suffer them.
_LAZY_FUNCTIONS: dict[str, Callable[[list[Expr], _Env], Any]] = {"try": _fn_try, "can": _fn_can}
