"""EICE001: the endpoint's security groups let no SSH/RDP out toward a target it is meant to reach."""
from __future__ import annotations

from typing import Iterator

from ..analysis.findings import Finding, RuleInfo
from ..analysis.paths import Analysis, Path
from .wording import group_list, group_names, ports_phrase, ports_short


def check(analysis: Analysis) -> Iterator[Finding]:
    paths_by_endpoint: dict[str, list[Path]] = {}
    for path in analysis.paths:
        paths_by_endpoint.setdefault(path.endpoint.key, []).append(path)
    ports = ports_phrase(list(analysis.admin_ports))
    short = ports_short(analysis.admin_ports)
    for endpoint in analysis.active_endpoints():
        sgs = endpoint.security_groups
        where = sgs.location or endpoint.location
        groups = group_names(analysis.model, sgs.keys)
        related = group_list(analysis.model, sgs.keys)
        paths = paths_by_endpoint.get(endpoint.key, [])
        if analysis.reaches_anything(endpoint) is False:
            targets = tuple(p.target.address for p in paths)
            reach = f"; so it cannot reach {', '.join(targets)}" if targets else ""
            yield Finding(where.file, where.line, RULE.id, endpoint.address, RULE.severity,
                          f"{endpoint.address} cannot open any tunnel: its security group(s) {groups} allow no "
                          f"outbound TCP {ports} toward the VPC{reach}. "
                          f"Fix: add an egress rule to {groups} for TCP {short} to the targets' security group or the VPC CIDR.",
                          related + targets, column=where.column, subjects=(endpoint.key,))
            continue
        for path in paths:
            if analysis.egress_verdict(path) != "missing":
                continue
            target = path.target
            yield Finding(where.file, where.line, RULE.id, endpoint.address, RULE.severity,
                          f"{endpoint.address} cannot reach {target.address} ({target.kind}; {path.reason}): its "
                          f"security group(s) {groups} allow no outbound TCP {ports} toward it. "
                          f"Fix: add an egress rule to {groups} for TCP {short} to the security group of {target.address}.",
                          related + (target.address,), column=where.column, subjects=(endpoint.key,))


RULE = RuleInfo(
    id="EICE001", name="endpoint-egress-missing", severity="error", reported_on="endpoint",
    title="The endpoint's security group allows no outbound SSH/RDP toward the instances it should reach",
    fix="Add an egress rule to the endpoint's security group for TCP 22/3389 to the targets' security group or the VPC CIDR.",
    check=check,
)
