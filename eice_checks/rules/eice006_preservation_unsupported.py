"""EICE006: client IP preservation is on for a dualstack or IPv6 endpoint, which AWS does not support."""
from __future__ import annotations

from typing import Iterator

from ..analysis.findings import Finding, RuleInfo
from ..analysis.paths import Analysis
from .wording import mode_phrase, preserve_property


def check(analysis: Analysis) -> Iterator[Finding]:
    for endpoint in analysis.active_endpoints():
        ip_type = endpoint.ip_address_type
        if endpoint.preserve_client_ip is not True or ip_type not in ("dualstack", "ipv6"):
            continue
        where = endpoint.preserve_location if endpoint.preserve_explicit else (endpoint.ip_address_type_location or endpoint.location)
        prop = preserve_property(endpoint)
        subnet_only = "place it in a subnet that has only IPv4 CIDRs"
        if endpoint.tool == "cloudformation":
            # AWS::EC2::InstanceConnectEndpoint has no property for the type: the subnet always decides
            derived = endpoint.ip_address_type_derived or "the type of its subnet"
            kind = f"is a {ip_type} endpoint (like every CloudFormation endpoint, it takes {derived})"
            alternative = subnet_only
        elif endpoint.ip_address_type_derived:
            kind = (f"is a {ip_type} endpoint (no IP address type is set, so it takes "
                    f"{endpoint.ip_address_type_derived})")
            # an IPv4 endpoint needs an IPv4 CIDR in its subnet: a dual-stack subnet has one
            alternative = (f"set ip_address_type = \"ipv4\" (provider 6.20 or later) or {subnet_only}"
                           if ip_type == "dualstack" else subnet_only)
        else:
            kind = f"has ip_address_type = \"{ip_type}\""
            alternative = "use ip_address_type = \"ipv4\""
        yield Finding(
            where.file, where.line, RULE.id, endpoint.address, RULE.severity,
            f"{endpoint.address} {kind} and {mode_phrase(endpoint)}, but client IP preservation is only "
            f"supported for IPv4 endpoints: AWS rejects this configuration. Fix: set {prop} = false; if the "
            f"clients' addresses must be preserved, {alternative} instead.", column=where.column,
            subjects=(endpoint.key,),
        )


RULE = RuleInfo(
    id="EICE006", name="preservation-unsupported", severity="error", reported_on="endpoint",
    title="Client IP preservation is on for a dualstack or IPv6 endpoint",
    fix="Turn client IP preservation off for dualstack/IPv6 endpoints, or make the endpoint IPv4: an IPv4-only subnet, "
        "or in Terraform ip_address_type = \"ipv4\".",
    check=check,
)
