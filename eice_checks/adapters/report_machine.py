"""Machine output: the versioned JSON contract (DESIGN.md) and GitHub Actions workflow commands."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Optional

from ..engine import Report
from ..escape import printable, printable_data

if TYPE_CHECKING:
    from ..explain import EndpointStory

JSON_VERSION = 1
_GITHUB_LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def render_json(report: Report, stories: Optional[list[EndpointStory]] = None) -> str:
    """``stories`` (``--explain``): an additive ``paths`` array; the other keys stay as version 1 has them."""
    paths = {}
    if stories is not None:
        from .report_explain import paths_data
        paths = {"paths": paths_data(stories)}
    return json.dumps(printable_data({
        "version": JSON_VERSION,
        "findings": [f.as_dict() for f in report.findings],
        "errors": [{"file": e.file, **({"line": e.line} if e.line else {}),
                    **({"column": e.column} if e.line and e.column else {}), "message": e.message}
                   for e in report.errors],
        **paths,
        # additions to version 1, present when not empty: suppressed findings with the reason,
        # suppressions that match nothing (--strict), the number of findings a --baseline holds
        **({"suppressed": [s.as_dict() for s in report.suppressed]} if report.suppressed else {}),
        **({"warnings": _warnings(report)} if report.unused_suppressions else {}),
        **({"baselined": report.baselined} if report.baselined else {}),
    }), indent=2)


def _warnings(report: Report) -> list[dict]:
    from ..suppressions import unused_message

    return [{"file": s.file, "line": s.line, "message": unused_message(s)} for s in report.unused_suppressions]


def _escape_data(text: str) -> str:
    # printable first: no control character (but line breaks, escaped next) or undecodable
    # file-name byte reaches the log
    return printable(text, keep="\r\n").replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_command(level: str, file: str, line: int | None, title: str, message: str,
                   column: int | None = None) -> str:
    props = [f"file={_escape_property(file)}"]
    if line:
        props.append(f"line={line}")
        if column:
            props.append(f"col={column}")
    props.append(f"title={_escape_property(title)}")
    return f"::{level} {','.join(props)}::{_escape_data(message)}"


def render_github(report: Report) -> str:
    """One workflow command per finding and per unreadable file; GitHub turns them into PR annotations."""
    lines = [github_command(_GITHUB_LEVELS[f.severity], f.file, f.line, f.rule, f"{f.resource}: {f.message}", f.column)
             for f in report.findings]
    lines += [github_command("error", e.file, e.line, "eice-checks", f"could not read: {e.message}", e.column)
              for e in report.errors]
    if report.unused_suppressions:
        from ..suppressions import unused_message

        lines += [github_command("warning", s.file, s.line, "eice-checks", unused_message(s))
                  for s in report.unused_suppressions]
    return "\n".join(lines)
