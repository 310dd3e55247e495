"""Find the sources under the given paths, hand them to the front ends, and build one model."""
from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from typing import Any, Optional

from .files import DEFAULT_MAX_FILE_BYTES, OUTSIDE, FileReader, UnreadableFile, head_text, inside, os_reason
from .frontends.common import InputError
from .model.builder import ModelBuilder
from .model.network import Location, Model

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
# Folders that hold no sources of the user's own: VCS data, dependencies, provider caches, and build
# copies of sources (SAM, Terragrunt), which would be counted twice.
SKIPPED_DIRS = {".git", ".hg", ".svn", "node_modules", ".terraform", ".venv", "venv", "__pycache__", ".tox",
                ".mypy_cache", ".pytest_cache", ".ruff_cache", ".aws-sam", ".terragrunt-cache", ".serverless"}


@dataclass
class Sources:
    templates: list[str] = field(default_factory=list)
    modules: dict[str, list[str]] = field(default_factory=dict)  # directory -> .tf files
    missing: list[str] = field(default_factory=list)
    notes: list[InputError] = field(default_factory=list)  # what the search itself skipped, and why
    unread: int = 0  # paths given that count as sources but were not read (a link out of the tree)
    seen: set[Any] = field(default_factory=set)  # real paths recorded: each file is read once


@dataclass
class ScanInputs:
    """Values the sources do not hold: Terraform root variables and CloudFormation parameters."""

    var_files: list[str] = field(default_factory=list)  # Terraform -var-file, in order
    variables: list[tuple[str, str]] = field(default_factory=list)  # Terraform -var name=value, in order
    parameters: dict[str, Any] = field(default_factory=dict)  # CloudFormation parameter values (str or Unknown)


@dataclass
class ScanResult:
    model: Model
    errors: list[InputError]
    candidates: int  # files that looked like sources
    read: int  # of those, files read and used
    missing: list[str] = field(default_factory=list)  # paths given that do not exist
    # directory of a module `terraform init` downloaded -> the module call in the user's own code it
    # comes from (the outermost one, for modules that downloaded modules call)
    downloaded: dict[str, Location] = field(default_factory=dict)


def display_path(path: str) -> str:
    """Relative to the current directory when below it (the JSON contract), else absolute; always '/'."""
    if path and not os.path.isabs(path):  # (relpath would ask the system for the directory twice)
        relative = os.path.normpath(path)
    else:
        relative = os.path.relpath(path)
    shown = path if relative.startswith("..") else relative
    return shown.replace(os.sep, "/")


def discover(paths: list[str], reader: Optional[FileReader] = None) -> Sources:
    """The sources under ``paths``. Each PATH is a root of the scanned tree: a directory is its own
    root, a file's root is its directory (a single .tf file is read with its whole directory, as
    Terraform does). Links may point anywhere inside a root; ``reader`` learns the roots and reads
    nothing outside them (see files.FileReader)."""
    reader = reader if reader is not None else FileReader()
    sources = Sources()
    rooted = [(path, root) for path in paths if (root := _root_of(path, sources)) is not None]
    for _, root in rooted:  # all roots first: a link in one may point into another
        reader.add_root(root)
    for path, _ in rooted:
        if os.path.isdir(path):
            _walk(path, reader, sources)
        elif path.endswith(".tf"):
            for entry in _entries(os.path.dirname(path) or ".", sources):
                if entry.name.endswith(".tf"):
                    _add_file(sources, entry.path, reader)
        else:
            _add_file(sources, path, reader)
    return sources


def _root_of(path: str, sources: Sources) -> Optional[str]:
    """The real path of ``path``'s root, or None (missing, or a link out of its own directory).
    A PATH that is itself a link may point anywhere inside the directory that holds it: the
    workflow names the path, the pull request decides what it is."""
    if not os.path.lexists(path):
        sources.missing.append(path)
        return None
    parent = os.path.realpath(os.path.dirname(os.path.abspath(path)))
    real = os.path.realpath(path)
    if os.path.islink(path) and not inside(real, (parent,)):
        sources.notes.append(InputError(display_path(path), f"skipped: {OUTSIDE}"))
        sources.unread += 1
        return None
    return real if os.path.isdir(real) else parent


def _walk(top: str, reader: FileReader, sources: Sources) -> None:
    """Depth first, in name order, without recursion (trees may be thousands of levels deep) and
    without following links to directories (their targets are either scanned as themselves, or
    outside the tree)."""
    stack = [top]
    while stack:
        subdirectories = []
        for entry in _entries(stack.pop(), sources):
            if entry.is_symlink():
                _linked_entry(entry, reader, sources)
            elif entry.is_dir(follow_symlinks=False):
                if entry.name not in SKIPPED_DIRS:
                    subdirectories.append(entry.path)
            else:  # FIFOs, sockets and devices too: the reader refuses them with a note
                _add_file(sources, entry.path, reader)
        stack.extend(reversed(subdirectories))


def _entries(directory: str, sources: Sources) -> list[os.DirEntry]:
    """A directory's entries in name order; one that cannot be listed is reported, not skipped."""
    try:
        with os.scandir(directory) as entries:
            return sorted(entries, key=lambda e: e.name)
    except OSError as exc:
        sources.notes.append(InputError(display_path(directory), f"cannot list the directory: {os_reason(exc)}"))
        return []


def _linked_entry(entry: os.DirEntry, reader: FileReader, sources: Sources) -> None:
    """A link found in the tree: a source file is handed to the reader (which refuses links out of
    the tree, loops and dangling links with a note); a link to a directory outside the tree is
    noted, one inside it is not entered (what it points at is scanned as itself, or skipped on
    purpose)."""
    try:
        is_directory = stat.S_ISDIR(os.stat(entry.path).st_mode)
    except OSError as exc:
        # a loop may stand where a directory should: noted whatever its name (a source's, by the reader)
        if exc.errno == errno.ELOOP and not _is_source_name(entry.name):
            sources.notes.append(InputError(display_path(entry.path), "skipped: a symbolic link loop"))
            return
        is_directory = False
    if not is_directory:
        _add_file(sources, entry.path, reader)
    elif entry.name not in SKIPPED_DIRS and not reader.contains(entry.path):
        sources.notes.append(InputError(display_path(entry.path), f"skipped: {OUTSIDE}"))


def _is_source_name(name: str) -> bool:
    return name.endswith((".tf", *TEMPLATE_SUFFIXES))


def _add_file(sources: Sources, path: str, reader: FileReader) -> None:
    """Record a source file once: a template reached through a link to a file the scan also finds
    is read once; so is a .tf file within its directory (a link from another directory makes it
    part of that module too, as in Terraform)."""
    if not _is_source_name(path):
        return
    try:
        identity = reader.real_path(path)
    except OSError:
        identity = os.path.abspath(path)  # a loop or a dangling link: the reader reports it
    shown = display_path(path)
    if path.endswith(".tf"):
        directory = display_path(os.path.dirname(path) or ".")
        if (directory, identity) not in sources.seen:
            sources.seen.add((directory, identity))
            sources.modules.setdefault(directory, []).append(shown)
    elif identity not in sources.seen:
        sources.seen.add(identity)
        sources.templates.append(shown)


class SourceFiles:
    """Reads sources for one scan through one FileReader and reports what it cannot read."""

    def __init__(self, reader: FileReader) -> None:
        self.reader = reader

    def read_text(self, path: str, errors: list[InputError], quiet: bool = False, confined: bool = True) -> str | None:
        """A file's text, or None with the reason in ``errors``. ``quiet``: a YAML/JSON file that may
        well be no template is reported only when its start looks like a source, or when it was
        not opened at all (a link out of the tree, a FIFO, a device: those are always noted)."""
        try:
            return self.reader.read_text(path, confined)
        except UnreadableFile as exc:
            if not quiet or exc.head is None or _starts_like_a_source(exc.head):
                errors.append(InputError(path, exc.message, exc.line))
            return None


def _starts_like_a_source(head: bytes) -> bool:
    from .frontends.cloudformation import looks_like_template

    text = head_text(head)
    return looks_like_template(text) or _looks_like_plan(text)


def _looks_like_plan(text: str) -> bool:
    return '"planned_values"' in text and '"format_version"' in text


def _add_plan(path: str, text: str, builder: ModelBuilder, errors: list[InputError], files: "SourceFiles") -> bool:
    """A Terraform plan JSON file (terraform show -json): added to the model (True), or not a plan (False)."""
    if not _looks_like_plan(text):
        return False
    from .frontends.cloudformation.loader import TemplateError, load_json
    from .frontends.terraform.plan import add_plan  # only for plans: it loads the Terraform evaluator

    try:
        plan = load_json(text)
    except TemplateError as exc:
        errors.append(InputError(path, exc.message.replace("invalid JSON", "invalid plan JSON"), exc.line))
        return True
    try:
        add_plan(path, plan, builder, lambda tf: files.read_text(tf, errors))
    except (AttributeError, TypeError, KeyError) as exc:
        errors.append(InputError(path, f"invalid plan JSON: unexpected structure ({type(exc).__name__}: {exc})"))
    except Exception as exc:  # a bug must cost one plan, never the scan or a traceback
        errors.append(InputError(path, f"internal error while reading the plan: {type(exc).__name__}: {exc}"))
    return True


def scan(paths: list[str], inputs: Optional[ScanInputs] = None,
         max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> ScanResult:
    inputs = inputs or ScanInputs()
    reader = FileReader(max_bytes=max_file_bytes)
    sources = discover(paths, reader)
    files = SourceFiles(reader)
    errors: list[InputError] = list(sources.notes)
    builder = ModelBuilder()
    candidates, read = sources.unread, 0
    downloaded: dict[str, Location] = {}

    templates: list[Any] = []
    planned_dirs: set[str] = set()
    if sources.templates:  # imported only when needed: start-up stays lean for Terraform-only scans
        from .frontends.cloudformation import TemplateError, add_templates, load_template
    for path in sources.templates:
        reported = len(errors)
        text = files.read_text(path, errors, quiet=True)
        if text is None:
            candidates += len(errors) > reported  # reported: it looked like a source, or was not opened
            continue
        if path.endswith(".json") and _add_plan(path, text, builder, errors, files):
            candidates += 1
            read += 1
            planned_dirs.add(os.path.dirname(path) or ".")
            continue
        try:
            template = load_template(path, text)
        except TemplateError as exc:
            candidates += 1
            errors.append(InputError(path, exc.message, exc.line))
            continue
        if template is not None:
            candidates += 1
            read += 1
            template.parameter_values = inputs.parameters
            templates.append(template)
    if templates:
        add_templates(templates, builder, errors)

    if sources.modules:
        from .frontends.terraform import TerraformFrontEnd, TerraformInputs  # lazily: loads the HCL grammar

        terraform_inputs = TerraformInputs(inputs.var_files, inputs.variables)
        terraform_front_end = TerraformFrontEnd(files.read_text, builder, errors, terraform_inputs, reader.contains)
        # A plan describes the configuration beside it (and the modules it calls), more completely:
        # that configuration is not built a second time.
        terraform_front_end.add(sources.modules, planned=planned_dirs)
        candidates += sum(len(files) for d, files in sources.modules.items() if d not in planned_dirs)
        read += terraform_front_end.read
        downloaded = {d: Location(*origin) for d, origin in terraform_front_end.downloaded.items()}
    # one note per file and reason: a --var-file is read for every root module, a linked tfvars
    # directory is met by the search and by the reader
    errors = list(dict.fromkeys(errors))
    return ScanResult(builder.finish(), errors, candidates, read, sources.missing, downloaded)


def scan_templates(templates: list[Any], inputs: Optional[ScanInputs] = None,
                   other_stacks_unseen: bool = False) -> ScanResult:
    """The model of CloudFormation templates already in memory (``frontends.cloudformation.Template``,
    e.g. converted from what cfn-lint decoded), built as ``scan`` builds it from files.
    ``other_stacks_unseen``: the templates belong to a deployment whose other stacks are not read
    (cfn-lint lints one template at a time). A stack there may add rules to any group these
    templates hand out, as a rules stack that takes it as a parameter does."""
    from .frontends.cloudformation import add_templates

    inputs = inputs or ScanInputs()
    errors: list[InputError] = []
    builder = ModelBuilder()
    for template in templates:
        template.parameter_values = inputs.parameters
    add_templates(templates, builder, errors)
    if other_stacks_unseen:
        builder.note_unattributed_rule()
    return ScanResult(builder.finish(), errors, len(templates), len(templates))
