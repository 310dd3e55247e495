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
    # The model keys of the endpoints or targets it is about: an address names different resources
    # in different root modules, a key only one (for hosts that report per resource, Checkov).
    subjects: tuple[str, ...] = field(default=(), compare=False)

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
    reported_on: str  # "endpoint" or "target": the kind of resource its findings name
    title: str  # one line: what the rule reports
    fix: str  # one line: how to fix, for SARIF help and summaries
    check: Callable[..., Iterable[Finding]] = field(compare=False, repr=False)

    @property
    def number(self) -> int:
        return int(self.id[len("EICE"):])

    @property
    def cfn_lint_id(self) -> str:
        """cfn-lint reads the severity from the id's first letter. 99xx: the 9xxx block is cfn-lint's
        for user rules, and its one-line custom-rules file (-z) numbers rules 9000 + line, so a
        rules file would need 900 lines to reach this block."""
        return f"{_CFN_LINT_LETTERS[self.severity]}99{self.number:02d}"

    @property
    def page(self) -> str:
        """The rule's documentation page, as a path from the repository root (hosts link to it)."""
        return f"rules/{self.id}.md"

    @property
    def checkov_id(self) -> str:
        """Checkov's style for custom checks; stable: users put it in skip comments."""
        return f"CKV2_EICE_{self.number}"


_CFN_LINT_LETTERS = {"error": "E", "warning": "W", "info": "I"}
