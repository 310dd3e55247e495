"""Budgets on the work one input may cause, and the one mechanism that enforces them.

eice-checks reads whatever a pull request brings, and evaluation can be made arbitrarily expensive
(``count = 1000000``, a list doubled forty times, an ``Fn::If`` nested ten thousand deep). Each
Terraform module tree (a root module and every module it calls) and each CloudFormation template
gets one ``Budget``. What goes over a limit becomes Unknown, which never yields a finding, and a
one-line note in the report's errors names the place and the limit. The defaults are far above
what real configurations use; they are constants here so that a setting can expose them later.
"""
from __future__ import annotations

import sys
from typing import Any, Callable, Optional

from .frontends.common import InputError
from .model.values import Unknown

MAX_INSTANCES = 10_000  # instances of one resource or one module call (count, for_each)
MAX_TREE_INSTANCES = 20_000  # resource and module instances in one Terraform module tree
MAX_MODULE_DEPTH = 16  # module calls inside module calls
MAX_ELEMENTS = 100_000  # elements of one value, those of nested collections included
MAX_CHARACTERS = 1_000_000  # characters of one value: a string, or all strings (and keys) of a collection
MAX_NUMBER_BITS = 1024  # size of a whole number (Terraform computes with 512-bit precision)
# Evaluation steps per Terraform module tree or CloudFormation template. A Terraform module tree
# also gets STEPS_PER_CHARACTER for each character of the expressions in its modules: a large
# generated module needs more (a 5 MB file takes about 0.75 a character), a small hostile one no more.
MAX_STEPS = 1_000_000
STEPS_PER_CHARACTER = 2
# Evaluations inside one another: Terraform references followed from inside another's value (a
# resource naming a resource naming ...; chains of locals do not nest), CloudFormation values and
# intrinsic functions nested in one another. Python's stack holds about twice as many.
MAX_NESTING = 64  # (also the depth of a value: collections in collections)
MAX_NOTES = 10  # notes per module tree or template; the rest are summed up in one line

# What a step is: one expression node (or CloudFormation value) evaluated, one element of a new
# collection, STRING_STEP characters of a new long string, one element of a function's arguments
# (READ_STEPS of one the model builder reads), ATTRIBUTE_STEPS per Terraform attribute evaluated.
# Each is about a microsecond of work.
STRING_STEP = 16
READ_STEPS = 4  # per element the model builder reads: it makes rules, peers, parsed ranges of them
ATTRIBUTE_STEPS = 10  # per attribute evaluated (for each instance and binding): scopes, caches, its use
LONG_STRING = 1024  # shorter strings cost one step: creating them is no more work than the node

Where = tuple[str, Optional[int], str]  # file, line, what it is (aws_instance.app, local.x, Endpoint)


class OverLimit(Exception):
    """A limit was reached; what was being computed becomes ``value``, an Unknown."""

    def __init__(self, what: str, limit: int, unit: str, outcome: str = "unknown") -> None:
        super().__init__(f"{what} is over the limit of {limit} {unit}; {outcome}")
        self.text = str(self)
        self.value = Unknown(f"over a limit: {self.text}")
        self.noted = False


def check(amount: int, limit: int, what: str, unit: str, outcome: str = "unknown") -> None:
    """Raise OverLimit when ``amount`` exceeds ``limit`` (``what`` says where the amount goes: "a
    string of {} characters"); for checks before the work is done."""
    if amount > limit:
        raise OverLimit(what.format(amount), limit, unit, outcome)


def stack_limit() -> OverLimit:
    """Nested deeper than Python's stack allows (a chain of thousands of operators): a safety net
    under the nesting limits, which count references and values, not expression nodes."""
    return OverLimit("an evaluation nested this deep", sys.getrecursionlimit(), "Python stack frames")


class Budget:
    """The work one module tree or one template may cost: steps, sizes of values, nesting, instances.

    ``admit`` measures each value once: a collection's size is recorded with it (kept alive, so its
    id is not reused), so a collection made of recorded ones costs its own length to measure. Values
    that share parts (``l2 = [local.l1, local.l1]``) are measured as what they stand for, so a value
    that doubles at each step reaches the element limit after a few steps, in linear time."""

    def __init__(self, notes: Optional[list[InputError]] = None, scope: str = "module tree",
                 nested: str = "references") -> None:
        self.notes: list[InputError] = notes if notes is not None else []
        self.scope = scope  # what one budget is for, and what nests in it, for notes
        self._nested = nested
        self.steps = self.limit = MAX_STEPS
        self.instances = 0
        self.depth = 0
        self._sizes: dict[int, tuple[Any, int, int, int]] = {}  # id -> (value, elements, characters, depth)
        self._where: list[tuple[Callable[[Any], Where], Any]] = []
        self._noted: set[tuple[str, Optional[int], str]] = set()
        self._exhausted = False  # the steps ran out
        self._collection_types: dict[type, bool] = {list: True, dict: True, str: False}

    @classmethod
    def for_template(cls, notes: Optional[list[InputError]] = None) -> "Budget":
        return cls(notes, "template", "values")

    # -- steps and instances ----------------------------------------------------------------------
    def step(self, count: int = 1) -> None:
        self.steps -= count
        if self.steps < 0:
            exhausted = OverLimit("evaluation", self.limit, f"steps for this {self.scope}",
                                  "what is left of it is unknown")
            exhausted.noted = self._exhausted  # noted once, where the steps ran out
            self._exhausted = True
            raise exhausted  # (a new one each time: raising one again would grow its traceback)

    def grow(self, steps: int) -> None:
        """More steps for more source to evaluate (see MAX_STEPS)."""
        self.steps += steps
        self.limit += steps

    def add_instances(self, count: int) -> None:
        if self.instances + count > MAX_TREE_INSTANCES:
            raise OverLimit(f"a {self.scope} of {self.instances + count} instances", MAX_TREE_INSTANCES,
                            "instances", "not judged")
        self.instances += count
        self.step(count)

    # -- sizes ------------------------------------------------------------------------------------
    def admit(self, value: Any) -> Any:
        """``value`` itself, once it is known to be within the size limits (else OverLimit)."""
        kind = type(value)  # (by type first: this runs for every expression node)
        if kind is str:
            if len(value) >= LONG_STRING:
                self._admit_string(value)
        elif self._is_collection(kind):
            known = self._sizes.get(id(value))
            elements, characters, depth = known[1:] if known is not None else self.size(value)
            if elements > MAX_ELEMENTS or characters > MAX_CHARACTERS or depth > MAX_NESTING:
                self.check_size(elements, characters, depth)
        elif kind is int and value.bit_length() > MAX_NUMBER_BITS:
            raise OverLimit(f"a number of {value.bit_length()} bits", MAX_NUMBER_BITS, "bits")
        return value

    def charge(self, *values: Any) -> None:
        """Steps for going through ``values`` (a function through its arguments, a comparison, the
        model builder through what it reads): the same value may be gone through any number of times."""
        self.step(sum(self.work(value) for value in values))

    def paid(self, value: Any, describe: Callable[[Any], Where], key: Any) -> Any:
        """``value`` once the model builder's steps of going through it are charged (READ_STEPS an
        element); past the budget, its Unknown (noted at ``describe(key)``)."""
        try:
            self.step(READ_STEPS * self.work(value))
        except OverLimit as exc:
            return self.overrun(exc, describe(key))
        return value

    def work(self, value: Any) -> int:
        kind = type(value)  # (by type first: the model builder asks for every value it reads)
        if kind is str:
            return 1 + len(value) // STRING_STEP
        if not self._is_collection(kind):
            return 1
        elements, characters, _ = self.size(value)
        return elements + characters // STRING_STEP

    def _is_collection(self, kind: type) -> bool:
        """Whether values of type ``kind`` are lists or dicts (subclasses too), remembered per type."""
        known = self._collection_types.get(kind)
        if known is None:
            known = self._collection_types[kind] = issubclass(kind, (list, dict))
        return known

    def _admit_string(self, value: str) -> None:
        if id(value) in self._sizes:
            return
        check(len(value), MAX_CHARACTERS, "a string of {} characters", "characters")
        self.step(len(value) // STRING_STEP)  # new text is work, and memory
        self._sizes[id(value)] = (value, 1, len(value), 0)

    def check_size(self, elements: int, characters: int, depth: int) -> None:
        check(elements, MAX_ELEMENTS, "a value of {} elements", "elements")
        check(characters, MAX_CHARACTERS, "a value of {} characters", "characters")
        # (what goes through values recursively, here and in the model, must not run out of stack)
        check(depth, MAX_NESTING, "a value nested {} deep", "levels")

    def size(self, value: Any) -> tuple[int, int, int]:
        """(elements, characters, depth) of a value. Collections are measured children first,
        without recursion (values read from variables files may be deeply nested), and given up on
        as soon as what was measured proves the value too large."""
        if isinstance(value, str):
            return 1, len(value), 0
        if not isinstance(value, (list, dict)):
            return 1, 0, 0
        known = self._sizes.get(id(value))
        if known is None:
            if not self._record(value):  # the usual case, made of scalars and measured values, is done
                self._measure(value)
            known = self._sizes[id(value)]
        return known[1], known[2], known[3]

    def _measure(self, value: Any) -> None:
        stack: list[Any] = [value]
        measured = 0  # elements of the collections measured so far: the value holds at least as many
        while stack:
            top = stack[-1]
            pending = [c for c in _children(top) if isinstance(c, (list, dict)) and id(c) not in self._sizes]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            if id(top) not in self._sizes and self._record(top):
                measured += len(top)
            if measured > MAX_ELEMENTS:
                self._sizes[id(value)] = (value, measured, 0, 0)  # over: checked again in no time
                return

    def _record(self, value: Any) -> bool:
        """Record the size of a collection whose collections are all measured; False if one is not."""
        sizes = self._sizes
        elements, characters, depth = 1 + len(value), 0, 0
        for child in _children(value):
            kind = type(child)
            if kind is str:
                characters += len(child)
            elif kind is list or kind is dict or isinstance(child, (list, dict)):
                known = sizes.get(id(child))
                if known is None:
                    return False
                elements += known[1] - 1
                characters += known[2]
                depth = max(depth, known[3])
        if isinstance(value, dict):
            characters += sum(len(key) for key in value if isinstance(key, str))
        self.step(len(value))
        sizes[id(value)] = (value, elements, characters, depth + 1)
        return True

    def forget(self) -> None:
        """Drop the sizes measured so far (they hold their values, to keep their ids): for a tree
        whose evaluation is done, so that its values are freed with it."""
        self._sizes.clear()

    def tally(self) -> "Tally":
        return Tally(self)

    # -- nesting and places -----------------------------------------------------------------------
    def enter(self, describe: Callable[[Any], Where], key: Any, steps: int = 0) -> None:
        """One evaluation deeper, at the place ``describe(key)`` names (computed only for a note),
        for ``steps``. Raises OverLimit past a limit: the caller notes it at that place."""
        if self.depth >= MAX_NESTING:
            raise OverLimit(f"{self._nested} nested {self.depth + 1} deep", MAX_NESTING, "levels")
        self.steps -= steps  # (step, inline: this runs for every attribute evaluated)
        if self.steps < 0:
            self.step(0)
        self.depth += 1
        self._where.append((describe, key))

    def leave(self) -> None:
        self.depth -= 1
        self._where.pop()

    def overrun(self, exc: OverLimit, where: Optional[Where] = None) -> Unknown:
        """The Unknown that stands for what went over a limit, noted once."""
        if not exc.noted:
            self.note(exc.text, where)
        return exc.value

    def note(self, text: str, where: Optional[Where] = None) -> None:
        """A one-line note in the report's errors, once per place and text, at most MAX_NOTES."""
        file, line, what = where or self.here()
        key = (file, line, text)
        if key in self._noted or len(self._noted) > MAX_NOTES:
            return
        self._noted.add(key)
        if len(self._noted) > MAX_NOTES:
            text, what = f"more values over the limits in this {self.scope} are not listed", ""
        self.notes.append(InputError(file, f"{what}: {text}" if what else text, line))

    def here(self) -> Where:
        if not self._where:
            return "<eice-checks>", None, ""
        describe, key = self._where[-1]
        return describe(key)


class Tally:
    """The size of a collection while it is being built: it stops as soon as the elements so far
    are more than one value may hold, before they take the memory."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.elements = 1
        self.characters = 0
        self.depth = 1

    def add(self, value: Any, key: str = "") -> Any:
        kind = type(value)  # (scalars and references told apart inline: most elements are)
        if kind is str:
            self.elements += 1
            self.characters += len(value) + len(key)
        elif kind is list or kind is dict or isinstance(value, (list, dict)):
            elements, characters, depth = self.budget.size(value)
            self.elements += elements
            self.characters += characters + len(key)
            if depth >= self.depth:
                self.depth = depth + 1
        else:
            self.elements += 1
            self.characters += len(key) + (len(value) if isinstance(value, str) else 0)
        if self.elements > MAX_ELEMENTS or self.characters > MAX_CHARACTERS or self.depth > MAX_NESTING:
            self.budget.check_size(self.elements, self.characters, self.depth)
        return value


def _children(value: Any) -> Any:
    return value.values() if isinstance(value, dict) else value
