"""Human output: findings grouped per file, colour only on a terminal, one summary line."""
from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING, Optional

from ..engine import Report
from ..escape import printable

if TYPE_CHECKING:
    from ..explain import EndpointStory

_COLOURS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m", "bold": "\033[1m", "dim": "\033[2m"}
_RESET = "\033[0m"


def render(report: Report, colour: bool, stories: Optional[list[EndpointStory]] = None) -> str:
    """``stories`` (``--explain``): the why of every verdict, before the summary line."""
    def paint(text: str, style: str) -> str:
        return f"{_COLOURS[style]}{text}{_RESET}" if colour else text

    lines: list[str] = []
    # printable: input names no terminal escape, and a file name that is not UTF-8 can be printed
    for file, findings in groupby(report.findings, key=lambda f: f.file):
        lines.append(paint(printable(file), "bold"))
        for f in findings:
            lines.append(f"  {f.line:>4}  {paint(f'{f.severity:<7}', f.severity)}  {f.rule}  {printable(f.resource)}")
            reason, _, fix = printable(f.message).partition(" Fix: ")
            lines.append(f"        {reason}")
            if fix:
                lines.append(f"        {paint('fix:', 'bold')} {fix}")
        lines.append("")
    for error in report.errors:
        lines.append(f"{paint('could not read', 'error')} {printable(error.render())}")
    if report.errors:
        lines.append("")
    if report.unused_suppressions:
        from ..suppressions import unused_message

        for s in report.unused_suppressions:
            lines.append(f"{paint('warning', 'warning')} {printable(f'{s.file}:{s.line}: {unused_message(s)}')}")
        lines.append("")
    if stories is not None:
        from .report_explain import render_text
        lines.extend(render_text(stories))
    lines.append(summary(report))
    return "\n".join(lines)


def summary(report: Report) -> str:
    counts = {s: sum(f.severity == s for f in report.findings) for s in ("error", "warning", "info")}
    files = len({f.file for f in report.findings})
    scanned = report.scanned.read
    parts = [f"{n} {s}{'s' if n != 1 and s != 'info' else ''}" for s, n in counts.items()]
    text = f"{len(report.findings)} finding{'s' if len(report.findings) != 1 else ''} ({', '.join(parts)}) in {files} file{'s' if files != 1 else ''}; {scanned} file{'s' if scanned != 1 else ''} scanned"
    if report.errors:
        text += f"; {len(report.errors)} could not be read"
    if report.suppressed:
        text += f"; {len(report.suppressed)} suppressed"
    if report.baselined:
        text += f"; {report.baselined} in the baseline"
    if report.unused_suppressions:
        n = len(report.unused_suppressions)
        text += f"; {n} suppression{'s' if n != 1 else ''} matching nothing"
    return text
