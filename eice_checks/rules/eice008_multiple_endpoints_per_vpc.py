"""EICE008: more than one endpoint in one VPC; AWS allows one per VPC."""
from __future__ import annotations

import re
from typing import Iterator

from ..analysis.findings import Finding, RuleInfo
from ..analysis.paths import Analysis
from ..model.network import Endpoint


def check(analysis: Analysis) -> Iterator[Finding]:
    by_vpc: dict[str, list[Endpoint]] = {}
    for endpoint in analysis.active_endpoints():
        # Endpoints whose VPC cannot be resolved still collide when they share a subnet.
        group_key = endpoint.vpc if isinstance(endpoint.vpc, str) else (
            f"subnet:{endpoint.subnet}" if isinstance(endpoint.subnet, str) else None)
        if group_key is not None and endpoint.address not in {e.address for e in by_vpc.get(group_key, [])}:
            by_vpc.setdefault(group_key, []).append(endpoint)  # one address seen twice (a plan and its source) is one endpoint
    for endpoints in by_vpc.values():
        first, *others = sorted(endpoints, key=lambda e: (e.location.file, e.location.line, e.address))
        for endpoint in others:
            yield _finding(endpoint, first)


def _finding(endpoint: Endpoint, first: Endpoint) -> Finding:
    if endpoint.resource_address and _unindexed(endpoint.resource_address) == _unindexed(first.resource_address):
        where = endpoint.count_location or endpoint.location
        return Finding(
            where.file, where.line, RULE.id, endpoint.address, RULE.severity,
            f"count/for_each on {_unindexed(endpoint.resource_address)} creates {endpoint.address} in the same VPC as "
            f"{first.address}; AWS allows one EC2 Instance Connect Endpoint per VPC, so every one after the "
            f"first fails to create. Fix: create a single endpoint per VPC.",
            (first.address,), column=where.column, subjects=(endpoint.key,),
        )
    return Finding(
        endpoint.location.file, endpoint.location.line, RULE.id, endpoint.address, RULE.severity,
        f"{endpoint.address} is a second EC2 Instance Connect Endpoint in the VPC of {first.address} "
        f"({first.location.file}:{first.location.line}); AWS allows one per VPC, so this one fails to create. "
        f"Fix: remove it and let the one endpoint serve every subnet of the VPC.",
        (first.address,), column=endpoint.location.column, subjects=(endpoint.key,),
    )


def _unindexed(address: str) -> str:
    """module.eice[1].aws_x.this -> module.eice.aws_x.this: instances of one declaration."""
    return re.sub(r'\[(?:\d+|"[^"]*")\]', "", address)


RULE = RuleInfo(
    id="EICE008", name="multiple-endpoints-per-vpc", severity="error", reported_on="endpoint",
    title="More than one EC2 Instance Connect Endpoint in one VPC",
    fix="Keep one endpoint per VPC; it serves every subnet.",
    check=check,
)
