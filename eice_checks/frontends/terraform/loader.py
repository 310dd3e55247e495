"""Where a Terraform module call's source is, for one module tree, and whether it may be read.

A local source (``./net``) is read from its directory, a remote one from the copy ``terraform init``
made (``.terraform/modules/modules.json``); a source outside the tree's root limit (the scan root,
or the repository holding it) is not read: the module is unknown, as one never downloaded.
"""
from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from ...limits import STEPS_PER_CHARACTER, Budget
from ...model.values import Unknown, is_unknown
from ..common import InputError
from .source import ModuleCall, ModuleSource

if TYPE_CHECKING:
    from .module import ModuleInstance


class ModuleLoader:
    """Finds and parses the directories module calls point at, for one module tree (a root module
    and what it calls), which shares one Budget; over-limit notes go to ``notes``.

    ``root_limit`` is the directory module sources must stay in: the scan root, or the repository
    that holds it. A source outside it (``../../../../etc``, an absolute path, a link out of it) is
    not read: the module is unknown, as one that was not downloaded. By default it is the repository
    of the root module (the nearest directory above it with ``.git``), else the current directory
    when it holds the root module, else the root module's own directory."""

    def __init__(self, parse_directory: Callable[[str], Optional[ModuleSource]], root: str,
                 root_variables: dict[str, Any], notes: Optional[list[InputError]] = None,
                 root_limit: Optional[str] = None, inside: Optional[Callable[[str], bool]] = None,
                 read_text: Optional[Callable[[str], Optional[str]]] = None) -> None:
        self.parse_directory = parse_directory
        self._inside_scan = inside  # the scan's own test (its roots), which wins over root_limit
        self.root = root
        self.root_variables = root_variables
        self.budget = Budget(notes)
        self._given_limit = root_limit
        self._root_limit: Optional[str] = None  # resolved when a module call first needs it
        self._inside: dict[str, bool] = {}
        self._downloaded = _downloaded_modules(root, self.inside, read_text or _read_small_file)
        self._granted: set[str] = set()  # module directories whose size the budget has grown by

    def grant(self, source: ModuleSource) -> None:
        """The budget grows by each module's expressions, once per module of the tree."""
        if source.directory not in self._granted:
            self._granted.add(source.directory)
            self.budget.grow(STEPS_PER_CHARACTER * source.expression_characters())

    @property
    def root_limit(self) -> str:
        if self._root_limit is None:
            given = self._given_limit
            self._root_limit = os.path.realpath(given if given is not None else default_root_limit(self.root))
        return self._root_limit

    def inside(self, path: str) -> bool:
        """Whether ``path``, links resolved, is inside the root limit (asked once per path: every
        instance of a module call asks)."""
        if path not in self._inside:
            inside = self._inside_scan
            self._inside[path] = inside(path) if inside is not None else is_inside(path, self.root_limit)
        return self._inside[path]

    def source_for(self, caller: "ModuleInstance", call: ModuleCall, key: str) -> Union[ModuleSource, Unknown]:
        directory = self._directory(caller, call, key)
        if is_unknown(directory):
            return directory
        source = self.parse_directory(directory)
        return Unknown(f"module {call.name}: nothing could be read in {directory}") if source is None else source

    def _directory(self, caller: "ModuleInstance", call: ModuleCall, key: str) -> Union[str, Unknown]:
        if call.local_source:
            directory = os.path.normpath(os.path.join(caller.source.directory, call.local_source))
        elif key in self._downloaded:  # `terraform init` fetched it
            directory = self._downloaded[key]
        elif call.absolute_source:  # Terraform reads such a path only from the copy terraform init makes
            return self._refused(call, "its source is an absolute path and was not downloaded; not read")
        else:
            return Unknown(f"module {call.name}: source not found locally (run terraform init for remote modules)")
        if not self.inside(directory):
            return self._refused(call, "its source is outside the scan root; not read")
        return directory

    def _refused(self, call: ModuleCall, why: str) -> Unknown:
        self.budget.note(why, (call.file, call.line, f"module.{call.name}"))
        return Unknown(f"module {call.name}: {why}")


def _downloaded_modules(root: str, inside: Callable[[str], bool],
                        read_text: Callable[[str], Optional[str]]) -> dict[str, str]:
    """Module call key -> directory, from the manifest `terraform init` writes (read as every input
    is: a regular file inside the tree, bounded), naming directories inside the tree (others are
    left out: never read)."""
    manifest = os.path.join(root, ".terraform", "modules", "modules.json")
    if not (os.path.lexists(manifest) and inside(manifest)):
        return {}
    text = read_text(manifest)
    try:
        entries = json.loads(text).get("Modules", []) if text is not None else []
    except (ValueError, AttributeError, RecursionError):
        return {}
    entries = entries if isinstance(entries, list) else []
    directories = {e["Key"]: os.path.normpath(os.path.join(root, e["Dir"])) for e in entries if isinstance(e, dict)
                   and isinstance(e.get("Key"), str) and e["Key"] and isinstance(e.get("Dir"), str)}
    return {key: directory for key, directory in directories.items() if inside(directory)}


def _read_small_file(path: str) -> Optional[str]:
    """Outside a scan (a loader built directly): the same safe reader, unconfined."""
    from ...files import FileReader, UnreadableFile

    try:
        return FileReader(max_bytes=_MAX_MANIFEST_BYTES).read_text(path, confined=False)
    except UnreadableFile:
        return None


_MAX_MANIFEST_BYTES = 16 * 1024 * 1024


def is_inside(path: str, limit: str) -> bool:
    """Whether ``path``, links resolved, is ``limit`` (a resolved path) or below it."""
    try:
        return os.path.commonpath([os.path.realpath(path), limit]) == limit
    except ValueError:  # another drive
        return False


def default_root_limit(directory: str) -> str:
    """Where module sources may be read from when the caller does not say: the repository that holds
    ``directory``, else the current directory when it holds it, else ``directory`` itself."""
    here = os.path.realpath(directory)
    repository = _repository(here)
    if repository is not None:
        return repository
    cwd = os.path.realpath(os.getcwd())
    return cwd if is_inside(here, cwd) else here


@lru_cache(maxsize=4096)
def _repository(folder: str) -> Optional[str]:
    """The nearest folder at or above ``folder`` (a resolved path) that holds ``.git``; asked once
    per folder, as the root modules of a scan mostly share their parents."""
    if os.path.exists(os.path.join(folder, ".git")):
        return folder
    parent = os.path.dirname(folder)
    return None if parent == folder else _repository(parent)
