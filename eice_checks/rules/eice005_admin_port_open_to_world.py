"""EICE005: a target reachable through an endpoint also admits SSH/RDP from anywhere."""
from __future__ import annotations

from typing import Iterator

from ..analysis.findings import Finding, RuleInfo
from ..analysis.paths import Analysis
from ..model.addresses import is_world
from .wording import ports_short


def check(analysis: Analysis) -> Iterator[Finding]:
    reported: set[tuple[str, object]] = set()
    for path in analysis.paths:
        target = path.target
        for rule in analysis.admin_ingress_rules(target, analysis.admin_ports):
            if rule.peer.cidr is None or not is_world(rule.peer.cidr) or (target.key, rule) in reported:
                continue
            reported.add((target.key, rule))
            yield Finding(
                rule.location.file, rule.location.line, RULE.id, target.address, RULE.severity,
                f"{target.address} ({target.kind}) is reached through {path.endpoint.address}, yet {rule.origin} also "
                f"admits {rule.describe()}: its admin ports are open to the whole internet. With an endpoint in "
                f"place they do not need to be. Fix: remove this rule and admit TCP {ports_short(analysis.admin_ports)} "
                f"from the endpoint's security group only; control who connects with IAM (ec2-instance-connect:OpenTunnel).",
                (rule.origin, path.endpoint.address), column=rule.location.column, subjects=(target.key,),
            )


RULE = RuleInfo(
    id="EICE005", name="admin-port-open-to-world", severity="warning", reported_on="target",
    title="A target reachable through the endpoint also admits SSH/RDP from 0.0.0.0/0 or ::/0",
    fix="Remove the world-open SSH/RDP rule; admit TCP 22/3389 from the endpoint's security group only.",
    check=check,
)
