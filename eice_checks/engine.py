"""Scan, analyse, run the enabled rules: the whole job, independent of how results are shown."""
from __future__ import annotations

from dataclasses import dataclass, field

from .analysis.findings import Finding, severity_rank
from .analysis.paths import Analysis
from .config import Config
from .frontends.common import InputError
from .rules import CATALOG
from .scan import ScanResult, scan


@dataclass
class Report:
    findings: list[Finding]
    errors: list[InputError]
    scanned: ScanResult
    config: Config = field(default_factory=Config)

    def failing(self) -> list[Finding]:
        if self.config.fail_on == "never":
            return []
        threshold = severity_rank(self.config.fail_on)
        return [f for f in self.findings if severity_rank(f.severity) >= threshold]


def run(paths: list[str], config: Config) -> Report:
    scanned = scan(paths)
    analysis = Analysis(scanned.model, config.admin_ports)
    findings: set[Finding] = set()
    errors = list(scanned.errors)
    for rule in CATALOG:
        if not config.rule_enabled(rule.id):
            continue
        try:
            findings.update(rule.check(analysis))
        except Exception as exc:  # a bug in one rule must not hide the others' findings
            errors.append(InputError("<eice-checks>", f"internal error in {rule.id}: {type(exc).__name__}: {exc}"))
    return Report(sorted(findings), errors, scanned, config)
