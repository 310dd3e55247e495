"""EICE006: client IP preservation is on for a dualstack or IPv6 endpoint, which AWS does not support."""
from __future__ import annotations

from typing import Iterator

from ..analysis.findings import Finding, RuleInfo
from ..analysis.paths import Analysis
from .wording import mode_phrase, preserve_property


def check(analysis: Analysis) -> Iterator[Finding]:
    for endpoint in analysis.model.endpoints:
        ip_type = endpoint.ip_address_type
        if endpoint.instance_count == 0 or endpoint.preserve_client_ip is not True or ip_type not in ("dualstack", "ipv6"):
            continue
        where = endpoint.preserve_location if endpoint.preserve_explicit else (endpoint.ip_address_type_location or endpoint.location)
        prop = preserve_property(endpoint)
        yield Finding(
            where.file, where.line, RULE.id, endpoint.address, RULE.severity,
            f"{endpoint.address} has ip_address_type = \"{ip_type}\" and {mode_phrase(endpoint)}, but client IP "
            f"preservation is only supported for IPv4 endpoints: AWS rejects this configuration. "
            f"Fix: set {prop} = false, or use ip_address_type = \"ipv4\" if the clients' addresses must be preserved.",
        )


RULE = RuleInfo(
    id="EICE006", name="preservation-unsupported", severity="error",
    title="Client IP preservation is on for a dualstack or IPv6 endpoint",
    fix="Set preserve_client_ip = false for dualstack/IPv6 endpoints.",
    check=check,
)
