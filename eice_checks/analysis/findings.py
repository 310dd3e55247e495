"""Findings and rule metadata: what every adapter (CLI formats, cfn-lint, Checkov) renders."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

SEVERITIES = ("info", "warning", "error")  # ascending


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int
    rule: str
    resource: str
    severity: str = field(compare=False)
    message: str = field(compare=False)
    related: tuple[str, ...] = field(default=(), compare=False)
    column: int = field(default=0, compare=False)  # 1-based, in characters; 0 when not known

    def as_dict(self) -> dict:
        return {"rule": self.rule, "severity": self.severity, "file": self.file, "line": self.line,
                **({"column": self.column} if self.column else {}),
                "resource": self.resource, "message": self.message, "related": list(self.related)}


@dataclass(frozen=True)
class RuleInfo:
    """A catalog entry. ``rules/<id>.md`` documents it; tests keep the two in step."""

    id: str
    name: str
    severity: str
    title: str  # one line: what the rule reports
    fix: str  # one line: how to fix, for SARIF help and summaries
    check: Callable[..., Iterable[Finding]] = field(compare=False, repr=False)
