"""Scan, analyse, run the enabled rules: the whole job, independent of how results are shown."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Iterable, Optional

from .analysis.findings import Finding, severity_rank
from .collector import rare_collections
from .analysis.paths import Analysis
from .config import Config
from .frontends.common import InputError
from .model.network import Location, Model
from .rules import CATALOG
from .scan import ScanInputs, ScanResult, scan, scan_templates
from .suppressions import Suppressed, Suppression, apply as apply_suppressions

if TYPE_CHECKING:  # the CloudFormation front end is imported only when templates are read
    from .frontends.cloudformation import Template

INTERNAL_ERROR = "<eice-checks>"  # the file of an error that is a bug: "internal error in EICE00N: ..."


@dataclass
class Report:
    findings: list[Finding]
    errors: list[InputError]
    scanned: ScanResult
    config: Config = field(default_factory=Config)
    analysis: Optional[Analysis] = None  # what the rules were run on, for explanations (eice_checks.explain)
    # findings that a suppression in the sources covers (they do not fail the run), and suppressions
    # that cover no finding (reported with --strict)
    suppressed: list[Suppressed] = field(default_factory=list)
    unused_suppressions: list[Suppression] = field(default_factory=list)
    baselined: int = 0  # findings left out because a baseline holds them (CLI --baseline)

    def failing(self) -> list[Finding]:
        if self.config.fail_on == "never":
            return []
        threshold = severity_rank(self.config.fail_on)
        return [f for f in self.findings if severity_rank(f.severity) >= threshold]


def run(paths: list[str], config: Config, inputs: Optional[ScanInputs] = None) -> Report:
    with rare_collections():
        return _report(scan(paths, inputs, config.max_file_size), config)


def run_templates(templates: list[Template], config: Config, inputs: Optional[ScanInputs] = None,
                  other_stacks_unseen: bool = False) -> Report:
    """The same job on CloudFormation templates already in memory: a host (cfn-lint) decoded them,
    maybe from standard input, so there is no file to read again. ``other_stacks_unseen``: see
    ``scan_templates``."""
    with rare_collections():
        return _report(scan_templates(templates, inputs, other_stacks_unseen), config)


def _report(scanned: ScanResult, config: Config) -> Report:
    analysis = Analysis(scanned.model, config.admin_ports)
    findings: list[Finding] = []
    errors = list(scanned.errors)
    for rule in CATALOG:
        if not config.rule_enabled(rule.id):
            continue
        try:
            findings.extend(rule.check(analysis))
        except Exception as exc:  # a bug in one rule must not hide the others' findings
            errors.append(InputError(INTERNAL_ERROR, f"internal error in {rule.id}: {type(exc).__name__}: {exc}"))
    collapsed = collapse_instances(merge_subjects(findings), scanned.model)
    located = sorted(relocate_downloaded(collapsed, scanned.downloaded))
    # The one place suppressions are decided, for every entry point: the hosts' adapters translate.
    entities = {e.key: e for e in (*scanned.model.endpoints, *scanned.model.targets)}
    enabled = {rule.id for rule in CATALOG if config.rule_enabled(rule.id)}
    kept, suppressed, unused = apply_suppressions(located, scanned.model.suppressions, entities, enabled)
    return Report(kept, errors, scanned, config, analysis, suppressed, unused)


def _configuration(entity_key: str) -> str:
    """The configuration (Terraform root module, plan, template) an entity's key belongs to: the keys
    are "<root>::<module path>#<address>" or "<root>#<address>" (model.network)."""
    return entity_key.split("#", 1)[0].split("::", 1)[0]


def merge_subjects(findings: Iterable[Finding]) -> set[Finding]:
    """One finding per rule, place and address, about every resource it was found on: two root
    modules that call one module have two resources with one address, and one finding."""
    merged: dict[Finding, Finding] = {}
    for finding in findings:
        kept = merged.setdefault(finding, finding)
        if kept is not finding:
            extra = tuple(s for s in finding.subjects if s not in kept.subjects)
            merged[finding] = replace(kept, subjects=kept.subjects + extra)
    return set(merged.values())


def relocate_downloaded(findings: Iterable[Finding], downloaded: dict[str, Location]) -> list[Finding]:
    """A finding inside a module that `terraform init` downloaded points at the module call in the
    user's own code (nobody edits the downloaded copy); the place inside the module goes into
    ``related``. Local modules are the user's code: their findings stay where they are."""
    result = []
    for finding in findings:
        call = downloaded.get(os.path.normpath(os.path.dirname(finding.file)))
        if call is None:
            result.append(finding)
        else:
            result.append(replace(finding, file=call.file, line=call.line, column=call.column,
                                  related=finding.related + (f"{finding.file}:{finding.line}",)))
    return result


_INDEX = re.compile(r'\[(?:\d+|"[^"]*")\]')


def base_address(address: str) -> str:
    """The address without count/for_each indexes (``module.app.aws_instance.this``): what a finding
    that holds for every instance is reported on."""
    return _INDEX.sub("", address)


def collapse_instances(findings: set[Finding], model: Model) -> set[Finding]:
    """One finding on the unexpanded address (``module.app.aws_instance.this``) when every instance
    of a count/for_each resource fails the same way at the same place; otherwise one per instance.
    "Every instance" is counted in each configuration the findings come from: another root module
    (or a plan of the same configuration) may hold the same addresses."""
    members: dict[tuple[str, str], set[str]] = {}
    for entity in (*model.endpoints, *model.targets):
        members.setdefault((_configuration(entity.key), base_address(entity.address)), set()).add(entity.key)
    groups: dict[tuple[str, str, int, str, str], list[Finding]] = {}
    for finding in findings:
        # "the same way": same rule and place, and the same message but for the instance's own address
        base = base_address(finding.resource)
        key = (finding.rule, finding.file, finding.line, base, finding.message.replace(finding.resource, base))
        groups.setdefault(key, []).append(finding)
    result: set[Finding] = set()
    for (_, _, _, base, message), group in groups.items():
        subjects = {key for finding in group for key in finding.subjects}
        every = set().union(*(members.get((c, base), set()) for c in {_configuration(k) for k in subjects}))
        if len(group) > 1 and subjects == every:
            ordered = tuple(key for finding in sorted(group) for key in finding.subjects)
            result.add(replace(min(group), resource=base, message=message, subjects=ordered))
        else:
            result.update(group)
    return result
