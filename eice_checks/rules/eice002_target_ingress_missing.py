"""EICE002: a target the endpoint is meant to reach admits none of the endpoint's traffic."""
from __future__ import annotations

from typing import Iterator

from ..analysis.findings import Finding, RuleInfo
from ..analysis.paths import Analysis
from .wording import group_list, group_names, mode_phrase, ports_phrase


def check(analysis: Analysis) -> Iterator[Finding]:
    for path in analysis.paths:
        verdict, _ = analysis.ingress_verdict(path)
        if verdict != "missing":
            continue
        endpoint, target = path.endpoint, path.target
        where = target.security_groups.location or target.location
        ports = ports_phrase(path.ports_sent)
        target_groups = group_names(analysis.model, target.security_groups.keys)
        endpoint_groups = group_names(analysis.model, endpoint.security_groups.keys)
        existing = analysis.admin_ingress_rules(target, path.ports_sent)
        seen = f" (its {ports} ingress: {'; '.join(r.describe() for r in existing)})" if existing else ""
        yield Finding(
            where.file, where.line, RULE.id, target.address, RULE.severity,
            f"{target.address} ({target.kind}) is meant to be reached through {endpoint.address} ({path.reason}), "
            f"but its security group(s) {target_groups} admit no traffic from the endpoint on TCP {ports}{seen}; "
            f"{mode_phrase(endpoint)}. Fix: add an ingress rule to {target_groups} for TCP {ports} from the "
            f"endpoint's security group {endpoint_groups}, which works whether client IP preservation is on or off.",
            group_list(analysis.model, target.security_groups.keys) + (endpoint.address,), column=where.column,
            subjects=(target.key,),
        )


RULE = RuleInfo(
    id="EICE002", name="target-ingress-missing", severity="error", reported_on="target",
    title="An instance the endpoint should reach admits no SSH/RDP traffic from the endpoint",
    fix="Add an ingress rule to the target's security group for TCP 22/3389 from the endpoint's security group.",
    check=check,
)
