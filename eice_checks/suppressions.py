"""Suppressions written in the sources, and the one place that decides which findings they cover.

Read by the front ends from what they already parse (Terraform comments are nodes of the
tree-sitter tree, ``hcl.Comment``; CloudFormation ``Metadata`` is part of the loaded template), and
applied by the engine to every report, whichever entry point asked for it (CLI, cfn-lint, Checkov).
The hosts' own conventions count too, so that one suppression works everywhere:

- Terraform: ``# eice-checks:ignore EICE005 <reason>`` (or ``//``) at the end of a line or on the
  line above (tflint's convention) of the attribute or block the finding points into (the rule, the
  CIDR) or of the resource it is about; checkov's
  ``#checkov:skip=CKV2_EICE_5:<reason>`` anywhere in the block of the resource it is about.
- CloudFormation: ``Metadata: {eice-checks: {ignore: [{rule: EICE005, reason: ...}]}}`` on the
  resource the finding is about or on the one whose line it points at (cfn_nag's convention);
  checkov's ``Metadata: {checkov: {skip: [{id: CKV2_EICE_5, comment: ...}]}}`` on the resource it is
  about; cfn-lint's ``Metadata: {cfn-lint: {config: {ignore_checks: [W9905]}}}`` on the resource
  whose line it points at (ids or their prefixes, as cfn-lint reads them).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Sequence

from .analysis.findings import Finding
from .escape import excerpt
from .rules import CATALOG

OURS, CHECKOV, CFN_LINT = "eice-checks", "checkov", "cfn-lint"
_WHOLE_FILE = 1 << 62  # the last line of a span that covers a whole template
REASON_CHARS = 500  # of a reason kept: reasons are user text and end up in every output
_BY_ID = {rule.id: rule.id for rule in CATALOG}
_BY_ID.update({rule.checkov_id: rule.id for rule in CATALOG})
_BY_ID.update({rule.cfn_lint_id: rule.id for rule in CATALOG})
_IGNORE = re.compile(r"eice-checks:ignore\b[ \t:]*((?:[A-Za-z0-9_]+[ \t]*,[ \t]*)*[A-Za-z0-9_]*)[ \t]*(.*)", re.S)
_CHECKOV_SKIP = re.compile(r"checkov:skip=([A-Za-z0-9_]+)(?::([^\n]*))?")


@dataclass(frozen=True)
class Suppression:
    rule: str  # the catalog id it suppresses; "" when what it names is no rule of ours
    file: str
    line: int  # where it is written
    reason: str
    source: str  # OURS, CHECKOV or CFN_LINT: whose convention it is written in
    written: str = ""  # the id as written (EICE005, CKV2_EICE_5, W9905, W99)
    block: int = 0  # Terraform: line of the top-level block it is written in (0: outside any)
    resource: str = ""  # CloudFormation: the logical id whose Metadata holds it
    span: tuple[int, int] = (0, 0)  # the lines it covers: CloudFormation, its resource; Terraform, what it annotates
    exact: bool = True  # names one rule (a cfn-lint prefix such as "W" may name none of ours)

    def describe(self) -> str:
        """How it is written, for messages: ``eice-checks:ignore EICE005``."""
        return {OURS: "eice-checks:ignore", CHECKOV: "checkov:skip", CFN_LINT: "cfn-lint ignore_checks"}[self.source] \
            + f" {excerpt(self.written or self.rule)}"

    def as_dict(self) -> dict:
        return {"tool": self.source, "file": self.file, "line": self.line, "reason": self.reason}


@dataclass(frozen=True)
class Suppressed:
    """A finding and every suppression that covers it."""

    finding: Finding
    by: tuple[Suppression, ...]

    @property
    def reason(self) -> str:
        return next((s.reason for s in self.by if s.reason), "")

    def as_dict(self) -> dict:
        return {**self.finding.as_dict(), "reason": self.reason, "suppressions": [s.as_dict() for s in self.by]}


def _reason(value: Any) -> str:
    text = value if isinstance(value, str) else "" if value is None or isinstance(value, (dict, list)) else str(value)
    text = text.strip()
    return text if len(text) <= REASON_CHARS else text[:REASON_CHARS] + "…"


# -- Terraform: comments ----------------------------------------------------------------------------
def from_comments(file: str, comments: Iterable[Any]) -> list[Suppression]:
    """The suppressions in a .tf file's comments (``hcl.Comment``: text, line, block)."""
    found: list[Suppression] = []
    for comment in comments:
        text = comment.text.lstrip("#/* \t")
        if text.endswith("*/"):
            text = text[:-2]
        match = _IGNORE.search(text)
        if match is not None:
            ids = [i.strip() for i in match.group(1).split(",") if i.strip()] or [""]
            reason = _reason(match.group(2))
            found.extend(Suppression(_BY_ID.get(i, "") if i.startswith("EICE") else "", file, comment.line, reason,
                                     OURS, i, block=comment.block, span=comment.span) for i in ids)
        for skip in _CHECKOV_SKIP.finditer(text):
            rule = _BY_ID.get(skip.group(1))
            if rule and skip.group(1).startswith("CKV"):  # another tool's check is checkov's business
                found.append(Suppression(rule, file, comment.line, _reason(skip.group(2)), CHECKOV, skip.group(1),
                                         block=comment.block))
    return found


# -- CloudFormation: Metadata -----------------------------------------------------------------------
def from_metadata(file: str, body: Any) -> list[Suppression]:
    """The suppressions in each resource's Metadata, and in the template's own (which cover the
    whole template; checkov reads none there). ``body``: the loaded template (a LineDict)."""
    found: list[Suppression] = []
    resources = body.get("Resources") if isinstance(body, dict) else None
    if not isinstance(resources, dict):
        return found
    places = [(None, body.get("Metadata"), (1, _WHOLE_FILE))]
    places += [(logical_id, resource.get("Metadata"), (resources.line_of(logical_id), 0))
               for logical_id, resource in resources.items() if isinstance(resource, dict)]
    for logical_id, metadata, span in places:
        if not isinstance(metadata, dict) or not any(k in metadata for k in (OURS, CHECKOV, CFN_LINT)):
            continue
        if logical_id is None:
            common: dict[str, Any] = {"span": span}
        else:
            common = {"resource": str(logical_id), "span": (span[0], _last_line(resources[logical_id]))}
        for entry, line in _items(_get(metadata, OURS, "ignore")):
            written = entry.get("rule", entry.get("id")) if isinstance(entry, dict) else entry
            written = written if isinstance(written, str) else ""
            reason = _reason(entry.get("reason")) if isinstance(entry, dict) else ""
            found.append(Suppression(_BY_ID.get(written, "") if written.startswith("EICE") else "", file, line,
                                     reason, OURS, written, **common))
        for entry, line in _items(_get(metadata, CHECKOV, "skip") if logical_id is not None else None):
            written = entry.get("id") if isinstance(entry, dict) else None
            if isinstance(written, str) and written.startswith("CKV") and written in _BY_ID:
                found.append(Suppression(_BY_ID[written], file, line, _reason(entry.get("comment")), CHECKOV,
                                         written, **common))
        for entry, line in _items(_get(metadata, CFN_LINT, "config", "ignore_checks")):
            if not isinstance(entry, str) or not entry:
                continue
            exact = entry in _BY_ID and entry[0] in "EWI"
            named = [r.id for r in CATALOG if r.cfn_lint_id.startswith(entry)]
            found.extend(Suppression(rule, file, line, "", CFN_LINT, entry, exact=exact, **common) for rule in named)
    return found


def _get(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _items(value: Any) -> list[tuple[Any, int]]:
    """A list's items with their lines (one value stands for a list of one)."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    default = getattr(value, "line", 0)
    return [(item, getattr(item, "line", default)) for item in items]


def _last_line(value: Any) -> int:
    """The last line a mapping or list of the loaded template holds (without recursion)."""
    last, stack = getattr(value, "line", 0), [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            key_lines = getattr(node, "key_lines", None)
            if key_lines:
                last = max(last, *key_lines.values())
            stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            last = max(last, getattr(node, "line", 0))
            stack.extend(v for v in node if isinstance(v, (dict, list)))
    return last


# -- the decision -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Place:
    """Where a finding is, and the resources it is about (file, declaration line, address)."""

    file: str
    line: int
    resource: str
    subjects: tuple[tuple[str, int, str], ...]


def covers(suppression: Suppression, place: _Place, rule: str) -> bool:
    """Whether ``suppression`` covers a finding of ``rule`` at ``place``."""
    if suppression.rule != rule:
        return False
    # (a template's own Metadata has no resource: like a Terraform comment, it covers lines)
    if suppression.resource:  # CloudFormation: the resource it is about, or the one its line is in
        about = place.file == suppression.file and place.resource == suppression.resource or any(
            file == suppression.file and address == suppression.resource for file, _, address in place.subjects)
        at = place.file == suppression.file and suppression.span[0] <= place.line <= suppression.span[1]
        return about if suppression.source == CHECKOV else at if suppression.source == CFN_LINT else about or at
    if suppression.source == CHECKOV:  # Terraform: anywhere in the block of the resource it is about
        return any(file == suppression.file and line == suppression.block for file, line, _ in place.subjects)
    # Terraform, ours: the finding's line or its resource's is in what the comment annotates
    first, last = suppression.span
    return any(file == suppression.file and first <= line <= last
               for file, line in ((place.file, place.line), *((f, n) for f, n, _ in place.subjects)))


def apply(findings: Sequence[Finding], suppressions: Sequence[Suppression], entities: dict[str, Any],
          enabled: Optional[set[str]] = None) -> tuple[list[Finding], list[Suppressed], list[Suppression]]:
    """(findings kept, findings suppressed, suppressions that cover nothing). ``entities``: the
    model's endpoints and targets by key (a finding's subjects). ``enabled``: the rules that ran;
    a suppression of another rule covers nothing and is not unused."""
    if not suppressions:
        return list(findings), [], []
    # Every suppression covers places in its own file only (see covers): looked up by rule and file,
    # so many suppressions and many findings do not multiply.
    by_file: dict[tuple[str, str], list[Suppression]] = {}
    for suppression in suppressions:
        by_file.setdefault((suppression.rule, suppression.file), []).append(suppression)
    kept: list[Finding] = []
    suppressed: list[Suppressed] = []
    used: set[Suppression] = set()
    rules = {rule for rule, _ in by_file}
    for finding in findings:
        if finding.rule not in rules:
            kept.append(finding)
            continue
        subjects = tuple((e.location.file, e.location.line, e.address)
                         for e in (entities.get(key) for key in finding.subjects) if e is not None)
        files = dict.fromkeys((finding.file, *(file for file, _, _ in subjects)))
        candidates = [s for file in files for s in by_file.get((finding.rule, file), ())]
        place = _Place(finding.file, finding.line, finding.resource, subjects)
        by = tuple(dict.fromkeys(s for s in candidates if covers(s, place, finding.rule)))
        if by:
            suppressed.append(Suppressed(finding, by))
            used.update(by)
        else:
            kept.append(finding)
    unused = [s for s in dict.fromkeys(suppressions) if s not in used and s.exact
              and (not s.rule or enabled is None or s.rule in enabled)]
    return kept, suppressed, unused


def unused_message(suppression: Suppression) -> str:
    if not suppression.rule:
        named = f"'{excerpt(suppression.written)}'" if suppression.written else "no rule"
        return f"{suppression.describe().split(' ')[0]} names {named}, which is no rule of eice-checks"
    where = f" on {suppression.resource}" if suppression.resource else ""
    return f"{suppression.describe()}{where} matches no finding (remove it, or it hides the next one)"
