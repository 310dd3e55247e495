"""Why each verdict: per endpoint, what it is (VPC, subnet, groups, preservation, IP address type),
and for every resource of its VPC whether it is reachable, broken, unknown or not a target, leg by
leg, with the security-group rule that allows each leg.

Everything here is read off the analysis the rules use (``Analysis.paths``, its legs and their
witnesses, ``egress_verdict``, ``ingress_verdict``, ``intent``): the explanation cannot disagree
with the findings. Renderers (``--explain`` text and JSON, ``--format markdown``) only format it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Optional

from .analysis.acls import AclPath, acl_block, acl_paths
from .analysis.findings import Finding
from .analysis.paths import Analysis, Path, Tri
from .engine import Report
from .model.network import Endpoint, SgList, SgRule, Target
from .model.values import Unknown
from .rules import eice001_endpoint_egress_missing as eice001
from .rules import eice002_target_ingress_missing as eice002
from .rules import eice003_cidr_preservation_mismatch as eice003
from .rules import eice009_nacl_blocks_path as eice009
from .rules.wording import group_list, mode_phrase, ports_short

REACHABLE, BROKEN, UNKNOWN, NOT_A_TARGET = "reachable", "broken", "unknown", "not a target"
_SHOWN_INGRESS = 3  # rules quoted when saying what a non-target admits instead


@dataclass(frozen=True)
class Leg:
    """One direction of one port: does the traffic get through, and by which rule."""

    direction: str  # "egress" (the endpoint's groups) or "ingress" (the target's groups)
    port: int
    allowed: Tri
    rule: Optional[SgRule] = None  # the rule that allows it, when allowed
    group: str = ""  # the security group that rule belongs to
    others: tuple[SgRule, ...] = ()  # not allowed: rules that let the port through, but not on this path
    unknown: tuple[str, ...] = ()  # not known: what could not be resolved
    needs: str = ""  # not allowed: what a rule would have to name


@dataclass(frozen=True)
class Break:
    leg: str  # "egress", "ingress" or "network ACL"
    rule: str  # the rule that reports it: EICE001, EICE002, EICE003 or EICE009


@dataclass
class TargetStory:
    target: Target
    verdict: str  # REACHABLE, BROKEN, UNKNOWN or NOT_A_TARGET
    why: str  # why it is meant to be reached, or why it is not a target
    ports: tuple[int, ...] = ()  # reachable on these; else the ports the endpoint tries (Path.ports_sent)
    breaks: tuple[Break, ...] = ()
    unknown: tuple[str, ...] = ()  # what could not be resolved
    legs: tuple[Leg, ...] = ()
    findings: tuple[Finding, ...] = ()
    # per port the security groups let through and subnet of the target: the network-ACL legs
    acl_paths: tuple[AclPath, ...] = ()


@dataclass
class EndpointStory:
    endpoint: Endpoint
    not_judged: str  # why the endpoint is not judged; "" when it is
    vpc: str
    subnet: str
    groups: tuple[str, ...]
    groups_note: str  # how the list came about, when not simply named
    preservation: str  # "on", "off" or "not known"
    preservation_source: str  # the setting, or the default it comes from
    preservation_default: bool  # not set: the tool's default decides
    ip_address_type: str
    ip_address_type_source: str
    findings: tuple[Finding, ...] = ()
    targets: list[TargetStory] = field(default_factory=list)


def explain(report: Report) -> list[EndpointStory]:
    """One story per endpoint of the scan, in source order."""
    analysis = report.analysis or Analysis(report.scanned.model, report.config.admin_ports)
    findings = _Findings(report.findings)
    judged = {id(e) for e in analysis.active_endpoints()}
    paths: dict[str, list[Path]] = {}
    for path in analysis.paths:
        paths.setdefault(path.endpoint.key, []).append(path)
    by_vpc = _targets_by_vpc(analysis.model.targets)
    stories = []
    for endpoint in sorted(analysis.model.endpoints, key=lambda e: (e.location, e.address)):
        story = _endpoint_story(analysis, endpoint, id(endpoint) in judged)
        if not story.not_judged:
            own = paths.get(endpoint.key, [])
            story.targets = _target_stories(analysis, endpoint, own, by_vpc, findings)
            story.findings = findings.of_endpoint(endpoint, {p.target.address for p in own})
        stories.append(story)
    return stories


# -- the endpoint ----------------------------------------------------------------------------------
def _endpoint_story(analysis: Analysis, endpoint: Endpoint, judged: bool) -> EndpointStory:
    model = analysis.model
    mode = analysis.mode(endpoint)
    return EndpointStory(
        endpoint=endpoint,
        not_judged="" if judged else "whether it is created is not known (count, for_each or condition)",
        vpc=_name(model.vpcs, endpoint.vpc),
        subnet=_name(model.subnets, endpoint.subnet),
        groups=group_list(model, endpoint.security_groups.keys),
        groups_note=_groups_note(analysis, endpoint.security_groups),
        preservation="not known" if mode is None else ("on" if mode else "off"),
        preservation_source=_preservation_source(endpoint),
        preservation_default=not endpoint.preserve_explicit,
        ip_address_type=_value(endpoint.ip_address_type),
        ip_address_type_source=_ip_type_source(endpoint),
    )


def _name(table: dict, key: object) -> str:
    if isinstance(key, Unknown):
        return f"not known ({key.reason})"
    if not isinstance(key, str):
        return "not set"
    entity = table.get(key)
    return entity.name if entity is not None else key  # a literal id of something outside the scan


def _value(value: object) -> str:
    return f"not known ({value.reason})" if isinstance(value, Unknown) else str(value)


def _groups_note(analysis: Analysis, sgs: SgList) -> str:
    if not sgs.complete:
        return "the list is not fully known"
    if sgs.defaulted:
        group = analysis.model.security_groups.get(sgs.keys[0])
        rules = "AWS's default rules assumed" if group is None or group.assumed else f"managed as {group.name}"
        return f"none named: the VPC's default security group ({rules})"
    return "" if sgs.keys else "none named"


def _preservation_source(endpoint: Endpoint) -> str:
    if isinstance(endpoint.preserve_client_ip, Unknown):
        return f"not known ({endpoint.preserve_client_ip.reason})"
    return mode_phrase(endpoint).partition(" (")[2].rstrip(")")  # the setting, or the tool's default


def _ip_type_source(endpoint: Endpoint) -> str:
    if isinstance(endpoint.ip_address_type, Unknown):
        return ""
    return f"not set: {endpoint.ip_address_type_derived}" if endpoint.ip_address_type_derived else "set"


# -- the resources of its VPC -------------------------------------------------------------------------
def _targets_by_vpc(targets: Iterable[Target]) -> dict[str, list[Target]]:
    by_vpc: dict[str, list[Target]] = {}
    for target in targets:
        if isinstance(target.vpc, str):
            by_vpc.setdefault(target.vpc, []).append(target)
    return by_vpc


def _target_stories(analysis: Analysis, endpoint: Endpoint, paths: list[Path],
                    by_vpc: dict[str, list[Target]], findings: "_Findings") -> list[TargetStory]:
    stories = {id(p.target): _path_story(analysis, p, findings.of_path(p)) for p in paths}
    for target in by_vpc.get(endpoint.vpc, []) if isinstance(endpoint.vpc, str) else []:
        if id(target) in stories or analysis.same_vpc(endpoint, target) is not True:
            continue
        if target.exists is not True:
            stories[id(target)] = TargetStory(target, UNKNOWN, "", unknown=(
                "whether it is created is not known (count, for_each or condition)",))
        else:
            stories[id(target)] = TargetStory(target, NOT_A_TARGET, _why_not(analysis, endpoint, target))
    return sorted(stories.values(), key=lambda s: (s.target.location, s.target.address))


def _why_not(analysis: Analysis, endpoint: Endpoint, target: Target) -> str:
    """Why a resource of the endpoint's VPC is not judged as its target (``Analysis.intent`` said no)."""
    if target.marked is False:
        return "it is tagged eice-checks:target = false"
    rules = analysis.admin_ingress_rules(target, analysis.admin_ports)
    purposes = [p for p in (analysis.admin_ingress_purpose(r, endpoint, target.public_ip) for r in rules) if p]
    if purposes:
        return "; ".join(purposes)
    seen = "" if analysis.fully_known(target.security_groups) else " that the scan can see"
    ingress = [r for g in analysis.groups_known(target.security_groups.keys) for r in g.ingress]
    shown = "; ".join(r.describe() for r in ingress[:_SHOWN_INGRESS]) + ("; ..." if len(ingress) > _SHOWN_INGRESS else "")
    return f"it admits no TCP {ports_short(analysis.admin_ports)}{seen}" + (f" (its ingress: {shown})" if shown else "")


def _path_story(analysis: Analysis, path: Path, findings: tuple[Finding, ...]) -> TargetStory:
    ports = tuple(p for p in analysis.admin_ports if path.egress[p] is True and path.ingress[p] is True)
    legs = tuple(leg for p in analysis.admin_ports for leg in (_egress_leg(analysis, path, p), _ingress_leg(analysis, path, p)))
    breaks = []
    if analysis.egress_verdict(path) == "missing":
        breaks.append(Break("egress", eice001.RULE.id))
    ingress, _ = analysis.ingress_verdict(path)
    if ingress in ("missing", "mismatch"):
        breaks.append(Break("ingress", (eice002 if ingress == "missing" else eice003).RULE.id))
    crossings = tuple(acl_paths(analysis, path))
    if acl_block(analysis, path) is not None:
        breaks.append(Break("network ACL", eice009.RULE.id))
        ports = ()
    else:
        ports = tuple(p for p in ports if not _refused_everywhere(p, crossings))
    verdict = REACHABLE if ports else BROKEN if breaks else UNKNOWN
    unknown = () if verdict != UNKNOWN else tuple(dict.fromkeys(u for leg in legs for u in leg.unknown))
    shown_ports = ports or tuple(path.ports_sent)
    return TargetStory(path.target, verdict, path.reason, shown_ports, tuple(breaks), unknown, legs, findings,
                       crossings)


def _refused_everywhere(port: int, crossings: tuple[AclPath, ...]) -> bool:
    """Whether the network ACLs refuse ``port`` in every subnet of the target they are judged for."""
    mine = [c for c in crossings if c.port == port]
    return bool(mine) and all(c.refused is not None for c in mine)


def _egress_leg(analysis: Analysis, path: Path, port: int) -> Leg:
    endpoint, target = path.endpoint, path.target
    allowed = path.egress[port]
    if allowed is None and analysis.reaches_anything(endpoint) is False:
        allowed = False  # EICE001: nothing gets out toward the VPC at all, whatever the target's ranges
    matches = analysis.egress_matches(endpoint, target, port)
    unknown = () if allowed is not None else tuple(
        _group_causes(analysis, endpoint.security_groups, "the endpoint's")
        + [_rule_cause(rule, _egress_peer_cause(rule)) for rule, value in matches if value is None])
    rule = path.egress_rule[port]
    needs = _target_side(analysis, target) if allowed is False else ""
    return Leg("egress", port, allowed, rule, _holder(analysis, endpoint.security_groups, rule, "egress"),
               _others(matches, port, allowed), unknown, needs)


def _ingress_leg(analysis: Analysis, path: Path, port: int) -> Leg:
    endpoint, target = path.endpoint, path.target
    allowed = path.ingress[port]
    matches = analysis.ingress_matches(endpoint, target, port, analysis.mode(endpoint))
    unknown = () if allowed is not None else tuple(
        _group_causes(analysis, target.security_groups, "the target's")
        + [_rule_cause(rule, _ingress_peer_cause(analysis, rule, endpoint)) for rule, value in matches if value is None])
    rule = path.ingress_rule[port]
    needs = _endpoint_side(analysis, endpoint) if allowed is False else ""
    return Leg("ingress", port, allowed, rule, _holder(analysis, target.security_groups, rule, "ingress"),
               _others(matches, port, allowed), unknown, needs)


def _target_side(analysis: Analysis, target: Target) -> str:
    """Where the endpoint's egress must go to reach the target."""
    groups = ", ".join(group_list(analysis.model, target.security_groups.keys)) or "none"
    ranges = ", ".join(str(r) for r in analysis.target_ranges(target) or ()) or "ranges not known"
    return f"a rule must allow the target's security group(s) {groups} or its addresses {ranges}"


def _endpoint_side(analysis: Analysis, endpoint: Endpoint) -> str:
    """Where the endpoint's traffic comes from, as the target's ingress must admit it."""
    groups = ", ".join(group_list(analysis.model, endpoint.security_groups.keys)) or "none"
    if analysis.mode(endpoint) is True:
        return (f"a rule must admit the endpoint's security group(s) {groups} or, with client IP preservation "
                "on, the clients' public addresses")
    ranges = ", ".join(str(r) for r in analysis.endpoint_ranges(endpoint) or ()) or "(a range not known)"
    return (f"a rule must admit the endpoint's security group(s) {groups} or, with client IP preservation "
            f"off, its subnet {ranges}")


def _holder(analysis: Analysis, sgs: SgList, rule: Optional[SgRule], direction: str) -> str:
    """The group of ``sgs`` that holds ``rule`` (the rule's own resource may be a separate rule resource)."""
    for group in analysis.groups_known(sgs.keys):
        if any(r is rule for r in (group.egress if direction == "egress" else group.ingress)):
            return group.name
    return ""


def _others(matches: list[tuple[SgRule, Tri]], port: int, allowed: Tri) -> tuple[SgRule, ...]:
    """Rules that let the port through but whose peer is not this path's: the near misses."""
    if allowed is True:
        return ()
    return tuple(rule for rule, value in matches if value is False and rule.allows_tcp(port) is True)


def _group_causes(analysis: Analysis, sgs: SgList, whose: str) -> list[str]:
    causes = [f"{whose} list of security groups is not fully known"] if not sgs.complete else []
    if not sgs.keys and sgs.complete:
        causes.append(f"{whose} security groups are not known")
    for key in sgs.keys:
        group = analysis.model.security_groups.get(key)
        if group is None:
            causes.append(f"security group {key} is not in the scan, so its rules are not known")
        elif not group.complete:
            causes.append(f"security group {group.name} is not fully known (rules may be added where the scan cannot see them)")
    return causes


def _rule_cause(rule: SgRule, peer_cause: str) -> str:
    where = f"{rule.location.file}:{rule.location.line}"
    if rule.protocol is None or (rule.protocol == "tcp" and rule.ports is None):
        return f"the protocol or ports of {rule.describe()} ({where}) are not known"
    return f"{rule.describe()} ({where}): {peer_cause}"


def _egress_peer_cause(rule: SgRule) -> str:
    if rule.peer.kind == "sg":
        return "whether the target has that group is not known (its list of groups is not fully known)"
    if rule.peer.kind == "cidr":
        return "the target's address ranges (its subnets, its VPC) are not known"
    return _unresolved(rule, "destination")


def _ingress_peer_cause(analysis: Analysis, rule: SgRule, endpoint: Endpoint) -> str:
    if rule.peer.kind == "sg":
        return "the endpoint's security groups are not fully known"
    if rule.peer.kind == "cidr":
        if analysis.mode(endpoint) is None:
            return "it depends on client IP preservation, which is not known"
        return "the endpoint's subnet range is not known"
    return _unresolved(rule, "source")


def _unresolved(rule: SgRule, side: str) -> str:
    if rule.peer.kind == "prefix_list":
        return "the entries of that prefix list are not all known"
    return f"its {side} could not be resolved"


# -- the findings each verdict stands for -----------------------------------------------------------------
class _Findings:
    """The report's findings by the model key they are about (``Finding.subjects``)."""

    def __init__(self, findings: Iterable[Finding]) -> None:
        self._by_subject: dict[str, list[Finding]] = {}
        for finding in findings:
            for subject in finding.subjects:
                self._by_subject.setdefault(subject, []).append(finding)

    def of_path(self, path: Path) -> tuple[Finding, ...]:
        """The target's findings about this endpoint, and the endpoint's EICE001 about this target."""
        about_target = [f for f in self._by_subject.get(path.target.key, []) if path.endpoint.address in f.related]
        egress = [f for f in self._by_subject.get(path.endpoint.key, [])
                  if f.rule == eice001.RULE.id and path.target.address in f.related]
        return tuple(sorted(set(about_target + egress)))

    def of_endpoint(self, endpoint: Endpoint, target_addresses: set[str]) -> tuple[Finding, ...]:
        """The endpoint's own findings (EICE001 only when it names none of the targets shown)."""
        return tuple(sorted({f for f in self._by_subject.get(endpoint.key, [])
                             if f.rule != eice001.RULE.id or not target_addresses & set(f.related)}))


def every_finding_explained(stories: list[EndpointStory]) -> set[Finding]:
    """The findings some verdict stands for (tests: all of the report's)."""
    return {f for s in stories for f in (*s.findings, *(f for t in s.targets for f in t.findings))}
