"""``--format markdown``: a report for ``$GITHUB_STEP_SUMMARY`` and pull-request comments.

A table of the findings (rule, severity, resource, file:line link, fix), then per endpoint a
Mermaid flowchart, endpoint -> its security groups -> its targets, each edge marked reachable,
broken or unknown and labelled with the ports, and the verdict of every resource of its VPC. The
verdicts are the explanation's (``eice_checks.explain``); this module only lays them out. Every
string from input goes through ``markdown_text`` or ``mermaid_label``, so no name can add markup,
a link or a mention, or break a diagram.
"""
from __future__ import annotations

from typing import Mapping
from urllib.parse import quote

from ..engine import Report
from ..escape import file_uri, html_text, markdown_text, mermaid_label
from ..explain import BROKEN, NOT_A_TARGET, REACHABLE, UNKNOWN, EndpointStory, TargetStory
from ..rules import RULES_BY_ID
from .report_explain import acl_leg_text, endpoint_facts, finding_text, leg_text, ports_text, verdict_text
from .report_text import summary

# Large scans stay readable: the page is read in a browser, and a PR comment holds 65,536 characters.
MAX_FINDING_ROWS = 100
MAX_DIAGRAMS = 20  # endpoints drawn; the others are listed
MAX_EDGES = 25  # targets drawn per diagram; the others are listed
MAX_RESOURCE_ROWS = 50  # resources listed per endpoint
OPEN_ENDPOINTS = 3  # up to this many endpoints, their sections start unfolded
_MARK = {REACHABLE: "✓", BROKEN: "✗", UNKNOWN: "?", NOT_A_TARGET: "–"}
_ARROW = {REACHABLE: "-->", BROKEN: "-.->", UNKNOWN: "-.->"}
_COLOUR = {REACHABLE: "stroke:#1a7f37,stroke-width:2px", BROKEN: "stroke:#cf222e,stroke-width:2px",
           UNKNOWN: "stroke:#6e7781,stroke-dasharray:4 3"}


def link_base(environ: Mapping[str, str]) -> str:
    """In GitHub Actions, where the files are on GitHub (server, repository, commit); else "" and the
    links are relative to the current directory."""
    parts = [environ.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA")]
    if not all(parts) or not parts[0].startswith("https://"):
        return ""
    server, repository, sha = parts
    return f"{quote(server, safe=':/')}/{quote(repository, safe='/')}/blob/{quote(sha, safe='')}/"


def render_markdown(report: Report, stories: list[EndpointStory], base: str = "") -> str:
    lines = ["## eice-checks", "", markdown_text(summary(report)), ""]
    lines += _findings_table(report, base)
    lines += _errors(report)
    if stories:
        lines += ["### Endpoints", ""]
        open_ = len(stories) <= OPEN_ENDPOINTS
        for number, story in enumerate(stories):
            lines += _endpoint_section(story, base, open_, draw=number < MAX_DIAGRAMS)
        if len(stories) > MAX_DIAGRAMS:
            lines += [f"Diagrams are drawn for the first {MAX_DIAGRAMS} endpoints of {len(stories)}.", ""]
    return "\n".join(lines).rstrip("\n")  # print adds the last line break


def _link(file: str, line: int, base: str) -> str:
    return f"[{markdown_text(f'{file}:{line}')}]({base}{file_uri(file)}#L{line})"


def _findings_table(report: Report, base: str) -> list[str]:
    if not report.findings:
        return []
    lines = ["| Rule | Severity | Resource | Where | Fix |", "| --- | --- | --- | --- | --- |"]
    for f in report.findings[:MAX_FINDING_ROWS]:
        fix = f.message.partition(" Fix: ")[2] or RULES_BY_ID[f.rule].fix
        lines.append(f"| {f.rule} {RULES_BY_ID[f.rule].name} | {f.severity} | {markdown_text(f.resource)} "
                     f"| {_link(f.file, f.line, base)} | {markdown_text(fix)} |")
    if len(report.findings) > MAX_FINDING_ROWS:
        lines.append(f"| … | | {len(report.findings) - MAX_FINDING_ROWS} more findings: run eice-checks locally | | |")
    return lines + [""]


def _errors(report: Report) -> list[str]:
    if not report.errors:
        return []
    return ["### Could not read", ""] + [f"- {markdown_text(e.render())}" for e in report.errors] + [""]


def _endpoint_section(story: EndpointStory, base: str, open_: bool, draw: bool) -> list[str]:
    endpoint = story.endpoint
    counts = {v: sum(t.verdict == v for t in story.targets) for v in (REACHABLE, BROKEN, UNKNOWN)}
    tally = ", ".join(f"{n} {v}" for v, n in counts.items() if n) or story.not_judged or "no targets"
    title = html_text(f"{endpoint.address} ({endpoint.location.file}:{endpoint.location.line}): {tally}")
    lines = [f"<details{' open' if open_ else ''}>", f"<summary>{title}</summary>", ""]
    if story.not_judged:
        return lines + [f"Not judged: {markdown_text(story.not_judged)}", "", "</details>", ""]
    lines += [f"- {markdown_text(fact)}" for fact in endpoint_facts(story)]
    lines += [f"- finding: {markdown_text(finding_text(f))}" for f in story.findings]
    lines.append("")
    if draw and any(t.verdict != NOT_A_TARGET for t in story.targets):
        lines += ["```mermaid", *diagram(story), "```", ""]
    lines += _resource_table(story.targets, base)
    return lines + ["</details>", ""]


def _resource_table(targets: list[TargetStory], base: str) -> list[str]:
    if not targets:
        return ["No instance, launch template or network interface of its VPC in the scan.", ""]
    lines = ["| Resource | Verdict | Legs |", "| --- | --- | --- |"]
    for t in targets[:MAX_RESOURCE_ROWS]:
        legs = "<br>".join([f"{leg.direction} {leg.port}: {markdown_text(leg_text(leg))}" for leg in t.legs]
                           + [f"ACL {c.port}: {markdown_text(acl_leg_text(leg))}" for c in t.acl_paths for leg in c.legs])
        findings = "".join(f"<br>finding: {markdown_text(finding_text(f))}" for f in t.findings)
        lines.append(f"| {markdown_text(t.target.address)} ({markdown_text(t.target.kind)}, "
                     f"{_link(t.target.location.file, t.target.location.line, base)}) "
                     f"| {_MARK[t.verdict]} {markdown_text(verdict_text(t))} | {legs}{findings} |")
    if len(targets) > MAX_RESOURCE_ROWS:
        lines.append(f"| … {len(targets) - MAX_RESOURCE_ROWS} more resources | | |")
    return lines + [""]


def diagram(story: EndpointStory) -> list[str]:
    """The flowchart's lines: node ids are generated (e, g0, t0), labels are escaped input."""
    lines = ["flowchart LR", f'  e["endpoint {mermaid_label(story.endpoint.address)}"]']
    groups = {name: f"g{i}" for i, name in enumerate(story.groups)}
    lines += [f'  {node}["security group {mermaid_label(name)}"]' for name, node in groups.items()]
    edges = [f"  e --> {node}" for node in groups.values()]
    styles: list[str] = []
    drawn = [t for t in story.targets if t.verdict != NOT_A_TARGET]
    for i, target in enumerate(drawn[:MAX_EDGES]):
        lines.append(f'  t{i}["{mermaid_label(target.target.address)}<br/>{mermaid_label(target.target.kind)}"]')
        source = groups.get(_egress_group(target), next(iter(groups.values()), "e"))
        styles.append(f"  linkStyle {len(edges)} {_COLOUR[target.verdict]}")
        edges.append(f'  {source} {_ARROW[target.verdict]}|"{_edge_label(target)}"| t{i}')
    if len(drawn) > MAX_EDGES:
        lines.append(f'  more["{len(drawn) - MAX_EDGES} more, listed below"]')
    return lines + edges + styles


def _egress_group(target: TargetStory) -> str:
    """The endpoint's group whose rule lets the traffic out (for a reachable port first)."""
    allowed = [leg for leg in target.legs if leg.direction == "egress" and leg.allowed is True and leg.group]
    reachable = [leg for leg in allowed if leg.port in target.ports and target.verdict == REACHABLE]
    return (reachable or allowed)[0].group if (reachable or allowed) else ""


def _edge_label(target: TargetStory) -> str:
    ports = mermaid_label(ports_text(target.ports))
    if target.verdict == BROKEN:
        legs = ", ".join(f"{b.leg} {b.rule}" for b in target.breaks)
        return f"#10007; {ports} broken: {mermaid_label(legs)}"
    mark = "#10003;" if target.verdict == REACHABLE else "?"
    return f"{mark} {ports} {target.verdict}"
