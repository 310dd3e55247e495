"""EICE004: the endpoint names no security group, so the VPC's default group is used."""
from __future__ import annotations

from typing import Iterator

from ..analysis.findings import Finding, RuleInfo
from ..analysis.paths import Analysis
from .wording import ports_short, sg_property


def check(analysis: Analysis) -> Iterator[Finding]:
    for endpoint in analysis.active_endpoints():
        sgs = endpoint.security_groups
        if not sgs.complete or not (sgs.defaulted or not sgs.keys):
            continue
        where = sgs.location if sgs.given and sgs.location else endpoint.location
        prop = sg_property(endpoint)
        managed = "" if not sgs.defaulted else _default_group_state(analysis, sgs.keys[0])
        yield Finding(
            where.file, where.line, RULE.id, endpoint.address, RULE.severity,
            f"{endpoint.address} names no security group ({prop} is {'empty' if sgs.given else 'not set'}), so AWS "
            f"attaches the VPC's default security group{managed}. That group is shared, often stripped of all rules "
            f"by baseline tooling, and any rule added to it for the endpoint opens every resource that uses it. "
            f"Fix: create a dedicated security group with egress TCP {ports_short(analysis.admin_ports)} to the "
            f"targets and set {prop} to it.", column=where.column, subjects=(endpoint.key,),
        )


def _default_group_state(analysis: Analysis, key: str) -> str:
    group = analysis.model.security_groups.get(key)
    if group is None or group.assumed:
        return " (not managed in this code: its rules are whatever the account has)"
    return f" (managed as {group.name})"


RULE = RuleInfo(
    id="EICE004", name="endpoint-default-security-group", severity="warning", reported_on="endpoint",
    title="The endpoint names no security group, so the VPC's default security group is used",
    fix="Give the endpoint a dedicated security group with egress TCP 22/3389 to its targets.",
    check=check,
)
