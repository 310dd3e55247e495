"""Each rule's verdict on each endpoint and target resource: failed, passed, or not concluded.

The CLI and cfn-lint show findings only; a host that reports every check on every resource it
applies to (Checkov: PASSED, FAILED, UNKNOWN) asks here, so that which resources a rule judged is
decided by the engine and not by the plugin.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional, Union

from .analysis.findings import Finding, RuleInfo
from .analysis.paths import Analysis
from .engine import INTERNAL_ERROR, Report, base_address
from .model.network import Endpoint, Target

# The resource types the front ends turn into endpoints and targets (tests check these against them).
ENDPOINT_TYPES = {
    "terraform": ("aws_ec2_instance_connect_endpoint",),
    "cloudformation": ("AWS::EC2::InstanceConnectEndpoint",),
}
TARGET_TYPES = {
    "terraform": ("aws_instance", "aws_launch_template", "aws_launch_configuration", "aws_network_interface"),
    "cloudformation": ("AWS::EC2::Instance", "AWS::EC2::LaunchTemplate", "AWS::AutoScaling::LaunchConfiguration",
                       "AWS::EC2::NetworkInterface"),
}
FAILED, PASSED, UNKNOWN, SUPPRESSED = "failed", "passed", "unknown", "suppressed"

Entity = Union[Endpoint, Target]
_Key = tuple[str, str, str, Optional[str]]  # (endpoint or target, file, address, scope or None)


def resource_types(rule: RuleInfo, tool: str) -> tuple[str, ...]:
    """The resource types of ``tool`` (terraform, cloudformation) that ``rule`` judges."""
    return (ENDPOINT_TYPES if rule.reported_on == "endpoint" else TARGET_TYPES)[tool]


@dataclass(frozen=True)
class Verdict:
    outcome: str  # FAILED, PASSED, UNKNOWN or SUPPRESSED (every finding is covered by a suppression)
    findings: tuple[Finding, ...] = ()
    note: str = ""  # why it was not concluded, or the internal error that failed it


def _normalized(path: str) -> str:
    return os.path.normcase(os.path.normpath(os.path.abspath(path)))


def _scope_source(entity: Entity) -> str:
    """The template, plan file or Terraform root module directory the entity was read from."""
    return _normalized(entity.scope.partition("::")[0])


class Verdicts:
    """Lookups over one report: ``of(rule, file, address)`` for a resource as the host names it
    (the file it is declared in, its Terraform address or CloudFormation logical id)."""

    def __init__(self, report: Report) -> None:
        self._config = report.config
        self._judged = {id(e) for e in Analysis(report.scanned.model).active_endpoints()}
        self._judged.update(id(t) for t in report.scanned.model.targets if t.exists is True)
        self._findings: dict[tuple[str, str], list[Finding]] = {}  # (rule, subject) -> findings
        for finding in report.findings:
            for subject in finding.subjects:
                self._findings.setdefault((finding.rule, subject), []).append(finding)
        self._suppressed: dict[tuple[str, str], list[str]] = {}  # (rule, subject) -> how each was suppressed
        for suppressed in report.suppressed:
            why = suppressed.reason or suppressed.by[0].describe()
            for subject in suppressed.finding.subjects:
                self._suppressed.setdefault((suppressed.finding.rule, subject), []).append(why)
        # "internal error in EICE003: ..." -> that message
        self._crashed = {e.message.split(":", 1)[0]: e.message for e in report.errors if e.file == INTERNAL_ERROR}
        # (kind, file, address, scope or None) -> entities: by their own address, and by the address of
        # their resource (count/for_each removed); scope: the root module directory or template.
        self._exact: dict[_Key, list[Entity]] = {}
        self._base: dict[_Key, list[Entity]] = {}
        for kind, entities in (("endpoint", report.scanned.model.endpoints), ("target", report.scanned.model.targets)):
            for entity in entities:
                self._index(kind, entity)

    def _index(self, kind: str, entity: Entity) -> None:
        # A resource read from a plan is declared in the .tf beside it (its location), but found by
        # the host in the plan file.
        scope = _scope_source(entity)
        for file in {_normalized(entity.location.file), scope}:
            for table, address in ((self._exact, entity.address), (self._base, base_address(entity.address))):
                for within in (None, scope):
                    table.setdefault((kind, file, address, within), []).append(entity)

    def entities(self, rule: RuleInfo, file: str, address: str, root: Optional[str] = None) -> list[Entity]:
        """The model's endpoints or targets behind the host's resource: the one with its address, else
        (when host and engine expand count/for_each differently) every instance of its resource;
        those of root module ``root`` when there are any (a module several roots call). Lookups
        only: a host asks once per resource and check."""
        kind_file = (rule.reported_on, _normalized(file))
        if (*kind_file, address, None) in self._exact:
            table, name = self._exact, address
        else:
            table, name = self._base, base_address(address)
        everywhere = table.get((*kind_file, name, None), [])
        if root is None:
            return everywhere
        return table.get((*kind_file, name, _normalized(root)), []) or everywhere

    def of(self, rule: RuleInfo, file: str, address: str, root: Optional[str] = None) -> Verdict:
        """``root``: the directory of the root module, for a Terraform resource in a module that
        several roots call (when the host knows it)."""
        crash = self._crashed.get(f"internal error in {rule.id}")
        if crash:
            return Verdict(FAILED, note=f"eice-checks could not run {rule.id}: {crash} (please report it)")
        if not self._config.rule_enabled(rule.id):
            return Verdict(UNKNOWN, note=f"{rule.id} is not enabled in the eice-checks settings")
        entities = self.entities(rule, file, address, root)
        if not entities:
            return Verdict(UNKNOWN, note="eice-checks did not read this resource")
        findings = {f for e in entities for f in self._findings.get((rule.id, e.key), [])}
        if findings:
            return Verdict(FAILED, tuple(sorted(findings)))
        suppressed = [why for e in entities for why in self._suppressed.get((rule.id, e.key), [])]
        if suppressed:
            return Verdict(SUPPRESSED, note="; ".join(dict.fromkeys(suppressed)))
        if not all(id(e) in self._judged for e in entities):
            return Verdict(UNKNOWN, note="whether this resource is created is not known (count, for_each or condition)")
        return Verdict(PASSED)
