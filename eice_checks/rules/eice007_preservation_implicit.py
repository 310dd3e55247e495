"""EICE007: client IP preservation is left to the tool's default, and the tools disagree."""
from __future__ import annotations

from typing import Iterator

from ..analysis.findings import Finding, RuleInfo
from ..analysis.paths import Analysis
from .wording import mode_phrase, preserve_property


def check(analysis: Analysis) -> Iterator[Finding]:
    for endpoint in analysis.active_endpoints():
        if endpoint.preserve_explicit:
            continue
        prop = preserve_property(endpoint)
        # Keep the current behaviour, unless it is one AWS rejects (EICE006): then off is the only choice.
        value = "false" if endpoint.ip_address_type in ("dualstack", "ipv6") else str(endpoint.preserve_client_ip).lower()
        yield Finding(
            endpoint.location.file, endpoint.location.line, RULE.id, endpoint.address, RULE.severity,
            f"{endpoint.address}: {mode_phrase(endpoint)}. The other tool's default is the opposite "
            f"(CloudFormation and the EC2 API: false; the Terraform AWS provider: true), and the targets' "
            f"security groups must admit the source that matches the mode. Fix: set {prop} = {value} "
            f"explicitly, or to the value you intend.", column=endpoint.location.column, subjects=(endpoint.key,),
        )


RULE = RuleInfo(
    id="EICE007", name="preservation-implicit", severity="info", reported_on="endpoint",
    title="Client IP preservation is not set explicitly; CloudFormation and Terraform default differently",
    fix="Set preserve_client_ip / PreserveClientIp explicitly.",
    check=check,
)
