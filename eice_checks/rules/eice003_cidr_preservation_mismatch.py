"""EICE003: the target admits the endpoint only by a CIDR that fits the other preservation mode."""
from __future__ import annotations

from typing import Iterator

from ..analysis.findings import Finding, RuleInfo
from ..analysis.paths import Analysis
from .wording import group_names, mode_phrase, preserve_property


def check(analysis: Analysis) -> Iterator[Finding]:
    for path in analysis.paths:
        verdict, rule = analysis.ingress_verdict(path)
        if verdict != "mismatch" or rule is None:
            continue
        endpoint, target = path.endpoint, path.target
        prop = preserve_property(endpoint)
        if endpoint.preserve_client_ip is True:
            why = (f"with preservation on, traffic arrives from the clients' public addresses, and {rule.peer.label} "
                   f"is private/VPC address space no client comes from")
            fix = (f"set {prop} = false (the source is then the endpoint's subnet, which {rule.peer.label} contains), "
                   f"or admit the clients' public ranges or the endpoint's security group instead")
        else:
            why = (f"with preservation off, traffic arrives from the endpoint's network interface in its subnet, "
                   f"which {rule.peer.label} does not contain")
            fix = (f"admit the endpoint's security group {group_names(analysis.model, endpoint.security_groups.keys)} "
                   f"or the VPC CIDR instead, or set {prop} = true if {rule.peer.label} is the clients' public range")
        yield Finding(
            rule.location.file, rule.location.line, RULE.id, target.address, RULE.severity,
            f"{target.address} ({target.kind}) admits {rule.describe()} for {endpoint.address}, but "
            f"{mode_phrase(endpoint)}: {why}. Fix: {fix}.",
            (rule.origin, endpoint.address), column=rule.location.column, subjects=(target.key,),
        )


RULE = RuleInfo(
    id="EICE003", name="cidr-preservation-mismatch", severity="error", reported_on="target",
    title="The target admits the endpoint only through a CIDR that cannot match the endpoint's client IP preservation mode",
    fix="Match the CIDR to the preservation mode (VPC/subnet range when off, clients' public ranges when on) or admit the endpoint's security group.",
    check=check,
)
