"""Find the sources under the given paths, hand them to the front ends, and build one model."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Optional

from .frontends.common import InputError
from .model.builder import ModelBuilder
from .model.network import Location, Model

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
# Folders that hold no sources of the user's own: VCS data, dependencies, provider caches, and build
# copies of sources (SAM, Terragrunt), which would be counted twice.
SKIPPED_DIRS = {".git", ".hg", ".svn", "node_modules", ".terraform", ".venv", "venv", "__pycache__", ".tox",
                ".mypy_cache", ".pytest_cache", ".ruff_cache", ".aws-sam", ".terragrunt-cache", ".serverless"}
MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass
class Sources:
    templates: list[str] = field(default_factory=list)
    modules: dict[str, list[str]] = field(default_factory=dict)  # directory -> .tf files
    missing: list[str] = field(default_factory=list)


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
    relative = os.path.relpath(path)
    shown = path if relative.startswith("..") else relative
    return shown.replace(os.sep, "/")


def discover(paths: list[str]) -> Sources:
    sources = Sources()
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not os.path.islink(os.path.join(root, d)))
                for name in sorted(files):
                    _add_file(sources, os.path.join(root, name))
        elif os.path.isfile(path) and path.endswith(".tf"):
            # Terraform reads a whole directory: one file of it alone would be a partial module.
            directory = os.path.dirname(path) or "."
            for name in sorted(os.listdir(directory)):
                if name.endswith(".tf"):
                    _add_file(sources, os.path.join(directory, name))
        elif os.path.isfile(path):
            _add_file(sources, path)
        else:
            sources.missing.append(path)
    return sources


def _add_file(sources: Sources, path: str) -> None:
    shown = display_path(path)
    if path.endswith(".tf"):
        directory = display_path(os.path.dirname(path) or ".")
        files = sources.modules.setdefault(directory, [])
        if shown not in files:
            files.append(shown)
    elif path.endswith(TEMPLATE_SUFFIXES) and shown not in sources.templates:
        sources.templates.append(shown)


def read_text(path: str, errors: list[InputError], quiet: bool = False) -> str | None:
    """A file's text; a file that cannot be read is reported, unless ``quiet`` (a YAML/JSON file that
    may well be no template: it is only reported when its start looks like one)."""
    try:
        if os.path.getsize(path) > MAX_FILE_BYTES:
            return _unreadable(path, errors, f"skipped: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB", quiet)
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read()
    except UnicodeDecodeError:
        return _unreadable(path, errors, "skipped: not UTF-8 text", quiet)
    except OSError as exc:
        return _unreadable(path, errors, f"cannot read: {exc.strerror or exc}", quiet)


def _unreadable(path: str, errors: list[InputError], message: str, quiet: bool) -> None:
    if not quiet or _starts_like_a_source(path):
        errors.append(InputError(path, message))
    return None


def _starts_like_a_source(path: str) -> bool:
    from .frontends.cloudformation import looks_like_template

    try:
        with open(path, "rb") as handle:
            head = handle.read(64 * 1024).decode("latin-1")
    except OSError:
        return True
    return looks_like_template(head) or _looks_like_plan(head)


def _looks_like_plan(text: str) -> bool:
    return '"planned_values"' in text and '"format_version"' in text


def _add_plan(path: str, text: str, builder: ModelBuilder, errors: list[InputError]) -> bool:
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
        add_plan(path, plan, builder)
    except (AttributeError, TypeError, KeyError) as exc:
        errors.append(InputError(path, f"invalid plan JSON: unexpected structure ({type(exc).__name__}: {exc})"))
    except Exception as exc:  # a bug must cost one plan, never the scan or a traceback
        errors.append(InputError(path, f"internal error while reading the plan: {type(exc).__name__}: {exc}"))
    return True


def scan(paths: list[str], inputs: Optional[ScanInputs] = None) -> ScanResult:
    inputs = inputs or ScanInputs()
    sources = discover(paths)
    errors: list[InputError] = []
    builder = ModelBuilder()
    candidates = read = 0
    downloaded: dict[str, Location] = {}

    templates: list[Any] = []
    planned_dirs: set[str] = set()
    if sources.templates:  # imported only when needed: start-up stays lean for Terraform-only scans
        from .frontends.cloudformation import TemplateError, add_templates, load_template
    for path in sources.templates:
        text = read_text(path, errors, quiet=True)
        if text is None:
            candidates += any(e.file == path for e in errors)  # reported: it looked like a source
            continue
        if path.endswith(".json") and _add_plan(path, text, builder, errors):
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
        terraform_front_end = TerraformFrontEnd(read_text, builder, errors, terraform_inputs)
        # A plan describes the configuration beside it (and the modules it calls), more completely:
        # that configuration is not built a second time.
        terraform_front_end.add(sources.modules, planned=planned_dirs)
        candidates += sum(len(files) for d, files in sources.modules.items() if d not in planned_dirs)
        read += terraform_front_end.read
        downloaded = {d: Location(*origin) for d, origin in terraform_front_end.downloaded.items()}
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
