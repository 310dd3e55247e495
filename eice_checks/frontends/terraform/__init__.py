"""Terraform front end: directories of .tf files are modules; the ones no other scanned module
calls are roots, instantiated with their variables (tfvars, --var-file, --var) and expanded."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from ...collector import promote_survivors
from ...files import OUTSIDE
from ...model.builder import ModelBuilder
from ...model.values import is_unknown
from ..common import InputError
from .hcl import HclFileError, HclUnavailable, parse_file


@dataclass
class TerraformInputs:
    """Values for root variables given on the command line, applied to every root module."""

    var_files: list[str] = field(default_factory=list)  # -var-file, in command-line order
    variables: list[tuple[str, str]] = field(default_factory=list)  # -var name=value, in order


class TerraformFrontEnd:
    def __init__(self, read_text: Callable[..., Optional[str]], builder: ModelBuilder, errors: list[InputError],
                 inputs: TerraformInputs, inside_tree: Callable[[str], bool] = lambda path: True) -> None:
        # read_text(path, errors, confined=True): the scan's one safe reader (see eice_checks.files)
        self.read_text = read_text
        self.inside_tree = inside_tree
        self.builder = builder
        self.errors = errors
        self.inputs = inputs
        self.read = 0
        # directory of a downloaded module -> (file, line) of the module call in the user's code it
        # comes from: findings inside it point there (see engine.relocate_downloaded)
        self.downloaded: dict[str, tuple[str, int]] = {}
        self._sources: dict[str, Any] = {}
        self._names: dict[str, list[str]] = {}  # directory -> its sorted names, listed once
        self._unavailable = False

    def add(self, modules: dict[str, list[str]], planned: frozenset[str] | set[str] = frozenset()) -> None:
        """Parse the scanned module directories and build every root module with what it calls;
        ``planned`` roots are read from their plan instead (their calls still count)."""
        from .build import ModuleBuilder  # imported with the first module: start-up stays lean without .tf
        from .loader import ModuleLoader
        from .module import ModuleInstance

        sources = {d: self.parse_directory(d, files, count=d not in planned) for d, files in modules.items()}
        promote_survivors()  # the syntax trees live until the scan ends: not walked again (see collector)
        for directory in _roots(sources, planned):
            source = sources[directory]
            try:
                loader = ModuleLoader(self.parse_directory, directory, self._root_variables(directory),
                                      notes=self.errors, inside=self.inside_tree,
                                      read_text=lambda path: self.read_text(path, self.errors))
                tree = ModuleInstance(source, loader)
                try:
                    for instance in tree.walk():
                        ModuleBuilder(instance, self.builder).build()
                        if instance.origin is not None:
                            self.downloaded.setdefault(instance.source.directory, instance.origin)
                finally:
                    tree.release()  # freed now, not by the collector (see ModuleInstance.release)
            except Exception as exc:  # a bug must cost one module, never the scan or a traceback
                self.errors.append(InputError(directory, f"internal error while reading the module: {type(exc).__name__}: {exc}"))

    def parse_directory(self, directory: str, files: Optional[list[str]] = None, count: bool = True) -> Any:
        """A directory's ModuleSource, parsed once; None when nothing in it could be read.
        ``count``: its files count as read (not for a configuration read from its plan)."""
        from .source import ModuleSource, is_override_file

        if directory in self._sources:
            return self._sources[directory]
        self._sources[directory] = None
        if self._unavailable:
            return None
        if not self.inside_tree(directory):  # a local module source or a download leaving the tree
            where = OUTSIDE if os.path.islink(directory) else "the module directory is outside the scanned tree"
            self.errors.append(InputError(directory, f"skipped: {where}"))
            return None
        names = self._listing(directory)
        files = sorted(files if files is not None else [os.path.join(directory, n) for n in names if n.endswith(".tf")],
                       key=is_override_file)
        source = ModuleSource(directory)
        parsed = 0
        for path in files:
            text = self.read_text(path, self.errors)
            if text is None:
                source.partial = True
                continue
            try:
                body = parse_file(text)
                source.add_file(path, body)
                parsed += 1
                if body.comments:
                    from ...suppressions import from_comments

                    self.builder.model.suppressions.extend(from_comments(path, body.comments))
            except HclFileError as exc:
                source.partial = True
                self.errors.append(InputError(path, f"invalid HCL: {exc.message}", _clamp(exc.line, text), exc.column))
            except HclUnavailable as exc:
                self._unavailable = True
                self.errors.append(InputError(directory, f"Terraform files skipped: {exc}"))
                return None
        if any(n.endswith(".tf.json") for n in names):
            source.partial = True  # Terraform JSON configuration is not read: the module is not fully known
        self.read += parsed if count else 0
        self._sources[directory] = source if parsed else None
        return self._sources[directory]

    def _listing(self, directory: str) -> list[str]:
        if directory not in self._names:
            self._names[directory] = _names(directory)
        return self._names[directory]

    def _root_variables(self, directory: str) -> dict[str, Any]:
        """Terraform's precedence, lowest first: terraform.tfvars, terraform.tfvars.json,
        *.auto.tfvars / *.auto.tfvars.json in lexical order, then -var-file files, then -var."""
        names = self._listing(directory)
        files = [n for n in ("terraform.tfvars", "terraform.tfvars.json") if n in names]
        files += [n for n in names if n.endswith((".auto.tfvars", ".auto.tfvars.json"))]
        in_tree = [(os.path.normpath(os.path.join(directory, n)), True) for n in files]
        named = [(path, False) for path in self.inputs.var_files]  # by the user: read wherever they are
        values: dict[str, Any] = {}
        for path, confined in in_tree + named:
            read = self._read_tfvars(path, confined)
            if read is None:
                return _UnreadableVariables(path)  # any variable may be set there: none is known
            values.update(read)
        for name, text in self.inputs.variables:
            values[name] = _cli_value(text)
        return values

    def _read_tfvars(self, path: str, confined: bool) -> Optional[dict[str, Any]]:
        from .expressions.evaluate import evaluate_source

        text = self.read_text(path, self.errors, confined=confined)
        if text is None:
            return None
        try:
            if path.endswith(".json"):
                data = json.loads(text)
                if not isinstance(data, dict):
                    raise ValueError("a JSON object is expected")
                return data
            return {a.name: evaluate_source(a.source, _NoReferences()) for a in parse_file(text).attributes.values()}
        except (ValueError, HclFileError) as exc:
            line = getattr(exc, "line", None) or getattr(exc, "lineno", None)
            self.errors.append(InputError(path, f"invalid variables file: {getattr(exc, 'message', exc)}", line))
        except RecursionError:
            self.errors.append(InputError(path, "invalid variables file: nesting too deep"))
        except HclUnavailable:
            pass  # already reported for the modules
        return None


class _UnreadableVariables(dict):
    """Root variables when a variables file could not be read: every one is unknown."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def __contains__(self, name: object) -> bool:
        return True

    def __getitem__(self, name: str) -> Any:
        from ...model.values import Unknown

        return Unknown(f"{self.path} could not be read")


class _NoReferences:
    """Variables files hold values, not references."""

    def resolve_root(self, name: str) -> Any:
        from ...model.values import Unknown

        return Unknown(f"{name}: variables files cannot refer to other values")


def _cli_value(text: str) -> Any:
    """-var name=value: an HCL value when it parses as one (["a"], {k = 1}, 3), else the string itself."""
    from .expressions.evaluate import evaluate_source

    value = evaluate_source(text, _NoReferences())
    return text if is_unknown(value) else value


def _clamp(line: Optional[int], text: str) -> Optional[int]:
    """Parsers report a missing closing brace past the last line; name the last line instead."""
    last = text.count("\n") + (0 if text.endswith("\n") else 1)
    return min(line, max(last, 1)) if line else line


def _roots(sources: dict[str, Any], planned: frozenset[str] | set[str]) -> list[str]:
    """The directories to build as root modules: those no other scanned module calls (a module
    another one calls is built as part of that one); then, in order, one of each group of modules
    that only call each other (a -> b -> a), so its cycle is reported rather than left out in silence.
    Roots read from their plan are built there; their calls count."""
    called = {c for s in sources.values() if s is not None for c in s.local_sources()}
    roots = [d for d, s in sources.items() if s is not None and d not in called and d not in planned]
    reached = set(roots) | _calls_below(set(roots) | set(planned), sources)
    for directory in sorted(sources):
        if sources[directory] is not None and directory not in reached and directory not in planned:
            roots.append(directory)
            reached.add(directory)
            _calls_below({directory}, sources, reached)
    return roots


def _calls_below(directories: set[str], sources: dict[str, Any], seen: Optional[set[str]] = None) -> set[str]:
    """Local module directories called, directly or not, from any of ``directories``, added to
    ``seen`` (whose members are not walked again): one walk for all (linear), without recursion (a
    chain of modules may be thousands long)."""
    seen = set() if seen is None else seen
    stack = list(directories)
    while stack:
        source = sources.get(stack.pop())
        for child in source.local_sources() if source is not None else ():
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def _names(directory: str) -> list[str]:
    try:
        return sorted(os.listdir(directory))
    except (OSError, ValueError):  # ValueError: a name with a NUL or a lone surrogate (modules.json, source)
        return []


__all__ = ["TerraformFrontEnd", "TerraformInputs"]
