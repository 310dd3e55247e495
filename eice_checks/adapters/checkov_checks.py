"""The Checkov custom policy pack: one Checkov check per catalog rule and framework (Terraform and
its plans, CloudFormation), each a translation of the engine's verdict on the resource.

Checkov imports ``eice_checks/checkov_pack/*.py`` as top-level modules (``--external-checks-dir``);
the file there calls ``register()``. Checkov runs a check once per resource, handing it only the
resource and its path relative to the scan root. The engine analyses everything checkov was asked
to scan at once, as the CLI does, because a security group in one file decides the findings of an
instance in another: once per checkov run and process (checkov runs each framework in a process of
its own on Linux), on the first resource checked; the run is found from the checkov runner that
called the check. Checkov turns an exception in a check into a silent UNKNOWN, so nothing here
raises: an internal error fails the resource with a message that says so, and a line on stderr.
"""
from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from types import FrameType
from typing import Any, Optional

import checkov.cloudformation.runner as cloudformation_runner
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck as CloudFormationCheck
from checkov.common.bridgecrew.severities import BcSeverities, Severities
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.common.output.record import Record
from checkov.common.runners.base_runner import BaseRunner
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck as TerraformCheck

from ..analysis.findings import Finding, RuleInfo
from ..config import find_pyproject, load_config
from ..engine import run
from ..rules import CATALOG
from ..scan import ScanInputs
from ..escape import printable
from ..verdicts import FAILED, PASSED, SUPPRESSED, UNKNOWN, Verdict, Verdicts, resource_types

SEVERITY = {"error": BcSeverities.HIGH, "warning": BcSeverities.MEDIUM, "info": BcSeverities.LOW}
RESULT = {FAILED: CheckResult.FAILED, PASSED: CheckResult.PASSED, UNKNOWN: CheckResult.UNKNOWN,
          SUPPRESSED: CheckResult.SKIPPED}
TF_ADDRESS = "__address__"  # checkov's Terraform address of the resource (module path, count/for_each index)
CARRIED_DETAILS = "eice_checks_details"  # see CloudFormationRecord


@dataclass(frozen=True)
class CheckovRun:
    """What the engine needs from the checkov runner that called a check."""

    root: str  # absolute; checkov gives a check its file as "/" + the path relative to this
    paths: tuple[str, ...]  # what checkov was asked to scan: the directory (-d), else the files (-f)
    var_files: tuple[str, ...]  # Terraform --var-file, as given to checkov


_ANALYSES: dict[tuple[tuple[str, ...], tuple[str, ...]], Any] = {}  # (paths, var files) -> Verdicts or AnalysisError
_ANALYSING = threading.Lock()  # checkov runs its frameworks in threads on macOS and Windows
_SAID: set[str] = set()


class AnalysisError(Exception):
    """The engine could not analyse the run (a bad [tool.eice-checks], say): every resource fails with it."""


def say(message: str) -> None:
    """One line on stderr, once per process: checkov's own log would hide it."""
    if message not in _SAID:
        _SAID.add(message)
        print(f"eice-checks: {message}", file=sys.stderr)


def current_run(frame: Optional[FrameType]) -> tuple[CheckovRun, Optional[str]]:
    """Checkov hands a check the resource and its path relative to the scan root, nothing more. Its
    runners (terraform, terraform_plan, cloudformation) call their registry from a method that holds
    ``root_folder``; that runner's ``run`` holds the files given with -f (None for a directory).
    Also the root module of a Terraform resource inside a module (see ``root_module``)."""
    while frame is not None and not _is_runner_frame(frame):
        frame = frame.f_back
    if frame is None:
        raise LookupError("no checkov runner found on the call stack (an unsupported checkov version?)")
    caller = frame.f_locals
    runner = caller["self"]
    while frame is not None and not (frame.f_code.co_name == "run" and frame.f_locals.get("self") is runner):
        frame = frame.f_back
    files = (frame.f_locals.get("files") if frame is not None else None) or []
    root = os.path.abspath(caller["root_folder"] or "")  # None or "" (-f): relative to the current directory
    var_files = tuple(getattr(caller.get("runner_filter"), "var_files", None) or ())
    checkov_run = CheckovRun(root, tuple(os.path.abspath(f) for f in files) or (root,), var_files)
    return checkov_run, root_module(caller.get("full_file_path"))


def _is_runner_frame(frame: FrameType) -> bool:
    # the code's variable names first: reading f_locals builds a dict of the frame, on every frame
    code = frame.f_code
    return (("root_folder" in code.co_varnames or "root_folder" in code.co_cellvars)
            and isinstance(frame.f_locals.get("self"), BaseRunner) and "root_folder" in frame.f_locals)


def root_module(definition_key: Any) -> Optional[str]:
    """The root module directory that a resource in a module belongs to: two roots calling one local
    module give it the same file and address. Checkov's TFDefinitionKey names the chain of module
    calls that led to the file, innermost first; the outermost call is written in the root."""
    module = getattr(definition_key, "tf_source_modules", None)
    while getattr(module, "nested_tf_module", None) is not None:
        module = module.nested_tf_module
    path = getattr(module, "path", None)
    return os.path.dirname(path) if isinstance(path, str) else None


def verdicts(checkov_run: CheckovRun) -> Verdicts:
    """The engine's verdicts on everything checkov was asked to scan, as the CLI would analyse the
    same paths: one analysis per checkov run, whichever framework asks first."""
    key = (checkov_run.paths, checkov_run.var_files)
    with _ANALYSING:
        if key not in _ANALYSES:
            _ANALYSES[key] = analyse(checkov_run)
    result = _ANALYSES[key]
    if isinstance(result, AnalysisError):
        raise result
    return result


def analyse(checkov_run: CheckovRun) -> Any:
    """Verdicts, or the AnalysisError every resource of the run then fails with."""
    try:
        config = load_config(find_pyproject(checkov_run.root))
        report = run(list(checkov_run.paths), config, ScanInputs(var_files=list(checkov_run.var_files)))
    except Exception as exc:  # kept: every resource of this run fails with it
        error = AnalysisError(f"could not analyse {', '.join(checkov_run.paths)}: {type(exc).__name__}: {exc}")
        say(str(error))
        return error
    for error in report.errors:
        say(f"{error.file}{f':{error.line}' if error.line else ''}: {error.message}")
    return Verdicts(report)


def detail(finding: Finding, root: str) -> str:
    """Where the finding points, in checkov's notation (relative to the scan root), then its message."""
    place = "/" + os.path.relpath(os.path.abspath(finding.file), root).replace(os.sep, "/")
    return f"{place}:{finding.line}: {finding.message}"


class PackCheck:
    """What the Terraform and CloudFormation checks share. ``run`` notes the resource (per thread:
    one check object serves every framework's runner), then checkov's own ``run`` applies the
    suppressions and calls ``scan_resource_conf``, which asks ``judge``."""

    rule: RuleInfo
    entity_type: str

    @property
    def details(self) -> list[str]:
        """Per thread: checkov resets a check's details in ``run`` and reads them after it; on macOS
        and Windows its frameworks run in threads that share the check."""
        return self._per_thread().__dict__.setdefault("details", [])

    @details.setter
    def details(self, value: list[str]) -> None:
        self._per_thread().details = value

    def _per_thread(self) -> threading.local:
        local = self.__dict__.get("_local")
        if local is None:
            local = self.__dict__["_local"] = threading.local()
        return local

    def setup(self, rule: RuleInfo) -> None:
        self.rule = rule
        self.severity = Severities[SEVERITY[rule.severity]]

    def run(self, scanned_file: str, entity_configuration: dict, entity_name: str, entity_type: str,
            skip_info: Any) -> Any:
        _RESOURCE.file, _RESOURCE.name = scanned_file, entity_name
        if not skip_info:  # checkov applies its own skips; the engine decided the others
            reason = self.suppression(self.address(entity_configuration, entity_type))
            if reason is not None:
                skip_info = {"id": self.id, "suppress_comment": reason}
        return super().run(  # type: ignore[misc]
            scanned_file, entity_configuration, entity_name, entity_type, skip_info)

    def address(self, conf: Any, entity_type: str) -> Optional[str]:
        """The resource's address as the engine names it (None: its name, a CloudFormation logical id)."""
        return None

    def suppression(self, address: Optional[str]) -> Optional[str]:
        """The reason, when a suppression in the sources covers every finding of this rule on the
        resource (checkov then reports it SKIPPED, as for its own skip comments); None otherwise,
        and for anything that fails here (``judge`` reports it)."""
        try:
            checkov_run, module_root = current_run(sys._getframe(1))
            file = os.path.join(checkov_run.root, _RESOURCE.file.lstrip("/\\"))
            verdict = verdicts(checkov_run).of(self.rule, file, address or _RESOURCE.name, module_root)
        except Exception:
            return None
        return printable(verdict.note) if verdict.outcome == SUPPRESSED else None

    def judge(self, address: Optional[str] = None) -> CheckResult:
        """The engine's verdict on the resource being checked (``address``: its Terraform address;
        by default its name, a CloudFormation logical id), with each finding in the details."""
        try:
            checkov_run, module_root = current_run(sys._getframe(1))
            file = os.path.join(checkov_run.root, _RESOURCE.file.lstrip("/\\"))
            verdict = verdicts(checkov_run).of(self.rule, file, address or _RESOURCE.name, module_root)
            self.details.extend(detail(f, checkov_run.root) for f in verdict.findings)
        except AnalysisError as exc:
            verdict = Verdict(FAILED, note=f"eice-checks {exc}")
        except Exception as exc:  # never let checkov turn a bug into a silent UNKNOWN
            message = f"internal error in the Checkov pack ({self.rule.checkov_id}): {type(exc).__name__}: {exc}"
            say(message)
            verdict = Verdict(FAILED, note=f"eice-checks {message} (please report it)")
        if verdict.outcome == FAILED and verdict.note:
            self.details.append(verdict.note)
        return RESULT[verdict.outcome]


_RESOURCE = threading.local()  # the resource a check is running on: its file as checkov gives it, its name


def _name(rule: RuleInfo) -> str:
    return f"{rule.title} ({rule.id} {rule.name})"


class TerraformRuleCheck(PackCheck, TerraformCheck):
    """Terraform sources and plans (checkov's terraform_plan framework uses the same registry)."""

    def __init__(self, rule: RuleInfo) -> None:
        super().__init__(_name(rule), rule.checkov_id, [CheckCategories.NETWORKING],
                         resource_types(rule, "terraform"), guideline=rule.page)
        self.setup(rule)

    def address(self, conf: Any, entity_type: str) -> Optional[str]:
        address = conf.get(TF_ADDRESS) if isinstance(conf, dict) else None
        return address if isinstance(address, str) else f"{entity_type}.{_RESOURCE.name}"

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        return self.judge(self.address(conf, self.entity_type))


class CloudFormationRuleCheck(PackCheck, CloudFormationCheck):
    def __init__(self, rule: RuleInfo) -> None:
        super().__init__(_name(rule), rule.checkov_id, [CheckCategories.NETWORKING],
                         resource_types(rule, "cloudformation"), guideline=rule.page)
        self.setup(rule)

    def run(self, scanned_file: str, entity_configuration: dict, entity_name: str, entity_type: str,
            skip_info: Any) -> Any:
        result = super().run(scanned_file, entity_configuration, entity_name, entity_type, skip_info)
        if self.details:
            result[CARRIED_DETAILS] = list(self.details)
        return result

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        return self.judge()


class CloudFormationRecord(Record):
    """checkov 3's CloudFormation runner builds its records without the check's details (its
    Terraform runners pass ``details=check.details``): the pack's checks carry them in the check
    result, and its records take them from there, so they reach every output as for Terraform."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        carried = self.check_result.pop(CARRIED_DETAILS, None) if isinstance(self.check_result, dict) else None
        if carried and not self.details:
            self.details = carried


_CHECKS: list[PackCheck] = []


def register() -> list[PackCheck]:
    """Create the checks (which registers them with checkov), once per process: checkov imports the
    pack file once for each framework's registry."""
    if not _CHECKS:
        if cloudformation_runner.Record is Record:
            cloudformation_runner.Record = CloudFormationRecord  # type: ignore[misc]
        for rule in CATALOG:
            _CHECKS.extend((TerraformRuleCheck(rule), CloudFormationRuleCheck(rule)))
    return _CHECKS
