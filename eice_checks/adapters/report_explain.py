"""``--explain``: the stories of ``eice_checks.explain`` as text lines and as the JSON ``paths`` array.

Phrasing only: every verdict, leg and witness rule comes from the explanation. The phrases are
plain text built from input; each output format escapes them its own way (text: ``printable``).
"""
from __future__ import annotations

from typing import Optional

from ..analysis.acls import AclLeg
from ..analysis.findings import Finding
from ..analysis.paths import port_label
from ..escape import printable
from ..explain import BROKEN, NOT_A_TARGET, REACHABLE, UNKNOWN, EndpointStory, Leg, TargetStory
from ..model.network import SgRule

_SHOWN_OTHERS = 3  # near-miss rules named per leg


# -- phrases (shared with the Markdown report) -------------------------------------------------------------
def where(file: str, line: int) -> str:
    return f"{file}:{line}"


def endpoint_facts(story: EndpointStory) -> list[str]:
    """What the endpoint is: network, groups, preservation, IP address type."""
    groups = ", ".join(story.groups) or "none"
    note = f" ({story.groups_note})" if story.groups_note else ""
    ip_source = f" ({story.ip_address_type_source})" if story.ip_address_type_source else ""
    return [f"VPC {story.vpc}; subnet {story.subnet}; security groups {groups}{note}",
            f"client IP preservation {story.preservation} ({story.preservation_source}); "
            f"IP address type {story.ip_address_type}{ip_source}"]


def ports_text(ports: tuple[int, ...]) -> str:
    return ", ".join(port_label(p) for p in ports)


def verdict_text(story: TargetStory) -> str:
    """E.g. 'reachable on 22 (SSH)', 'broken: ingress (EICE003)', 'not a target: ...'."""
    if story.verdict == REACHABLE:
        return f"reachable on {ports_text(story.ports)}"
    if story.verdict == BROKEN:
        return "broken: " + ", ".join(f"{b.leg} ({b.rule})" for b in story.breaks)
    if story.verdict == UNKNOWN:
        return "unknown: " + "; ".join(story.unknown)
    return f"{NOT_A_TARGET}: {story.why}"


def rule_text(rule: SgRule, group: str = "") -> str:
    """A security-group rule as the user finds it: what it allows, who declares it, where."""
    holder = rule.origin if not group or group == rule.origin else f"{group} (rule {rule.origin})"
    added = ", the default AWS adds" if rule.implicit else ""
    return f"{holder}: {rule.describe()}{added} ({where(rule.location.file, rule.location.line)})"


def leg_text(leg: Leg) -> str:
    if leg.allowed is True and leg.rule is not None:
        return f"allowed by {rule_text(leg.rule, leg.group)}"
    if leg.allowed is None:
        return "not known: " + "; ".join(leg.unknown)
    none = "no rule allows it" if leg.direction == "egress" else "no rule admits the endpoint's traffic"
    needs = f"; {leg.needs}" if leg.needs else ""
    if not leg.others:
        return none + needs
    others = "; ".join(rule_text(r) for r in leg.others[:_SHOWN_OTHERS]) + ("; ..." if len(leg.others) > _SHOWN_OTHERS else "")
    aim = "goes elsewhere" if leg.direction == "egress" else "admits another source"
    return f"{none} ({aim}: {others}){needs}"


def acl_leg_text(leg: AclLeg) -> str:
    """One network-ACL crossing: where, which packets, and the entry that decides."""
    acl = leg.acl.described if leg.acl is not None else "its network ACL (not known)"
    head = f"{leg.name}, {acl} of {leg.subnet.name}: {leg.describe_packets()}"
    if leg.allowed is None:
        return f"{head}: not known"
    verdict = "allowed" if leg.allowed else "refused"
    if leg.entry is None:
        return f"{head}: {verdict} by its final deny"
    entry = leg.entry
    at = "" if entry.implicit else f" ({entry.origin}, {where(entry.location.file, entry.location.line)})"
    added = ", the default AWS gives it" if entry.implicit else ""
    return f"{head}: {verdict} by {entry.describe()}{added}{at}"


def finding_text(finding: Finding) -> str:
    return f"{finding.rule} {finding.severity} {where(finding.file, finding.line)} {finding.resource}"


def target_heading(story: TargetStory) -> str:
    target = story.target
    return f"{target.address} ({target.kind}, {where(target.location.file, target.location.line)})"


# -- text ---------------------------------------------------------------------------------------------
def render_text(stories: list[EndpointStory]) -> list[str]:
    if not stories:
        return ["explain: no EC2 Instance Connect Endpoint in the scan", ""]
    lines: list[str] = []
    for story in stories:
        lines.extend(_endpoint_lines(story))
        lines.append("")
    return [printable(line) for line in lines]  # input names no terminal escape


def _endpoint_lines(story: EndpointStory) -> list[str]:
    endpoint = story.endpoint
    head = f"endpoint {endpoint.address} ({where(endpoint.location.file, endpoint.location.line)})"
    if story.not_judged:
        return [f"{head}: not judged: {story.not_judged}"]
    lines = [head] + [f"  {fact}" for fact in endpoint_facts(story)]
    lines += [f"  finding: {finding_text(f)}" for f in story.findings]
    if not story.targets:
        lines.append("  no instance, launch template or network interface of its VPC in the scan")
    for target in story.targets:
        lines.extend(_target_lines(target))
    return lines


def _target_lines(story: TargetStory) -> list[str]:
    lines = [f"  {target_heading(story)}: {verdict_text(story)}"]
    if story.verdict == NOT_A_TARGET or not story.legs:
        return lines
    lines.append(f"      meant to be reached: {story.why}")
    for leg in story.legs:
        port = port_label(leg.port) if leg.direction == "egress" else ""
        lines.append(f"      {port:<11} {leg.direction:<8} {leg_text(leg)}")
    for crossing in story.acl_paths:
        for index, acl_leg in enumerate(crossing.legs):
            port = port_label(crossing.port) if index == 0 else ""
            lines.append(f"      {port:<11} {'ACL':<8} {acl_leg_text(acl_leg)}")
    lines += [f"      finding: {finding_text(f)}" for f in story.findings]
    return lines


# -- JSON: the `paths` array ---------------------------------------------------------------------------------
def paths_data(stories: list[EndpointStory]) -> list[dict]:
    return [_endpoint_data(s) for s in stories]


def _endpoint_data(story: EndpointStory) -> dict:
    endpoint = story.endpoint
    data: dict = {"endpoint": endpoint.address, "file": endpoint.location.file, "line": endpoint.location.line,
                  "judged": not story.not_judged}
    if story.not_judged:
        return {**data, "not_judged": story.not_judged}
    return {**data, "vpc": story.vpc, "subnet": story.subnet, "security_groups": list(story.groups),
            "security_groups_note": story.groups_note,
            "preserve_client_ip": {"on": True, "off": False}.get(story.preservation),
            "preserve_client_ip_default": story.preservation_default,
            "preserve_client_ip_source": story.preservation_source,
            "ip_address_type": story.ip_address_type, "ip_address_type_source": story.ip_address_type_source,
            "findings": [_finding_ref(f) for f in story.findings],
            "resources": [_target_data(t) for t in story.targets]}


def _target_data(story: TargetStory) -> dict:
    target = story.target
    data: dict = {"resource": target.address, "kind": target.kind, "file": target.location.file,
                  "line": target.location.line, "verdict": story.verdict}
    if story.verdict == NOT_A_TARGET:
        return {**data, "why": story.why}
    return {**data, "why": story.why, "ports": list(story.ports),
            "broken": [{"leg": b.leg, "rule": b.rule} for b in story.breaks],
            "unknown": list(story.unknown),
            "legs": [_leg_data(leg) for leg in story.legs],
            "acl_legs": [_acl_leg_data(c.port, leg) for c in story.acl_paths for leg in c.legs],
            "findings": [_finding_ref(f) for f in story.findings]}


def _leg_data(leg: Leg) -> dict:
    return {"direction": leg.direction, "port": leg.port, "allowed": leg.allowed,
            "rule": _rule_data(leg.rule, leg.group), "others": [_rule_data(r) for r in leg.others],
            "unknown": list(leg.unknown), **({"needs": leg.needs} if leg.needs else {})}


def _acl_leg_data(port: int, leg: AclLeg) -> dict:
    entry = leg.entry
    return {"port": port, "leg": leg.name, "subnet": leg.subnet.name,
            "network_acl": leg.acl.name if leg.acl is not None else None,
            "direction": "outbound" if leg.egress else "inbound", "ports": list(leg.ports), "peer": str(leg.peer),
            "allowed": leg.allowed,
            "entry": None if entry is None else {"file": entry.location.file, "line": entry.location.line,
                                                 "resource": entry.origin, "text": entry.describe(),
                                                 "implicit": entry.implicit}}


def _rule_data(rule: Optional[SgRule], group: str = "") -> Optional[dict]:
    if rule is None:
        return None
    return {"file": rule.location.file, "line": rule.location.line, "resource": rule.origin,
            **({"security_group": group} if group else {}),
            "text": rule.describe(), "implicit": rule.implicit}


def _finding_ref(finding: Finding) -> dict:
    return {"rule": finding.rule, "file": finding.file, "line": finding.line, "resource": finding.resource}
