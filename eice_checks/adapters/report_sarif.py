"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers."""
from __future__ import annotations

import hashlib
import json

from .. import __version__
from ..engine import Report
from ..escape import file_uri, printable
from ..rules import CATALOG

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"error": "error", "warning": "warning", "info": "note"}
# GitHub ranks security alerts by this 0-10 score.
_SECURITY_SEVERITY = {"error": "7.0", "warning": "5.0", "info": "2.0"}


def _rule_descriptor(rule) -> dict:
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.title},
        "help": {"text": f"{rule.title}. How to fix: {rule.fix}",
                 "markdown": f"**{rule.title}**\n\nHow to fix: {rule.fix}\n\nSee {rule.page} in eice-checks."},
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
        "properties": {"tags": ["security", "aws", "ec2-instance-connect-endpoint"], "precision": "high",
                       "problem.severity": rule.severity if rule.severity != "info" else "recommendation",
                       "security-severity": _SECURITY_SEVERITY[rule.severity]},
    }


def _region(line: int, column: int | None) -> dict:
    return {"startLine": line, **({"startColumn": column} if column else {})}


def render_sarif(report: Report) -> str:
    index = {rule.id: i for i, rule in enumerate(CATALOG)}
    results = []
    # a suppressed finding is a result with "suppressions" (GitHub code scanning shows it dismissed)
    suppressions = {id(s.finding): s for s in report.suppressed}
    for f in [*report.findings, *(s.finding for s in report.suppressed)]:
        # surrogatepass: a file name that is not UTF-8 still has a stable fingerprint
        identity = f"{f.rule}|{f.file}|{f.resource}|{f.message}".encode("utf-8", "surrogatepass")
        fingerprint = hashlib.sha256(identity).hexdigest()[:32]
        results.append({
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": _LEVELS[f.severity],
            "message": {"text": printable(f"{f.resource}: {f.message}")},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": file_uri(f.file), "uriBaseId": "%SRCROOT%"},
                "region": _region(f.line, f.column),
            }}],
            "partialFingerprints": {"eiceFinding/v1": fingerprint},
            **({"suppressions": [{"kind": "inSource", "status": "accepted",
                                  "justification": printable(s.reason or f"{s.describe()} (no reason given)"),
                                  "location": {"physicalLocation": {
                                      "artifactLocation": {"uri": file_uri(s.file), "uriBaseId": "%SRCROOT%"},
                                      "region": _region(s.line, None)}}}
                                 for s in suppressions[id(f)].by]} if id(f) in suppressions else {}),
        })
    notifications = [{
        "level": "error",
        "message": {"text": printable(f"could not read: {e.message}")},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": file_uri(e.file), "uriBaseId": "%SRCROOT%"},
                                            **({"region": _region(e.line, e.column)} if e.line else {})}}],
    } for e in report.errors]
    if report.unused_suppressions:
        from ..suppressions import unused_message

        notifications += [{
            "level": "warning",
            "message": {"text": printable(unused_message(s))},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": file_uri(s.file), "uriBaseId": "%SRCROOT%"},
                                                "region": _region(s.line, None)}}],
        } for s in report.unused_suppressions]
    run = {
        "tool": {"driver": {"name": "eice-checks", "version": __version__,
                            "rules": [_rule_descriptor(rule) for rule in CATALOG]}},
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
        "results": results,
        "columnKind": "unicodeCodePoints",  # columns count characters, not UTF-16 code units
    }
    return json.dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2)
