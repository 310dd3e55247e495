"""EICE008: more than one endpoint in one VPC; AWS allows one per VPC."""
from __future__ import annotations

from typing import Iterator

from ..analysis.findings import Finding, RuleInfo
from ..analysis.paths import Analysis
from ..model.network import Endpoint


def check(analysis: Analysis) -> Iterator[Finding]:
    by_vpc: dict[str, list[Endpoint]] = {}
    for endpoint in analysis.active_endpoints():
        # Several instances share one VPC for sure only when they share one subnet; a subnet that
        # varies per instance (each.value, count.index) does not resolve, so it is not judged.
        if endpoint.instance_count > 1 and isinstance(endpoint.subnet, str):  # type: ignore[operator]
            where = endpoint.count_location or endpoint.location
            yield Finding(
                where.file, where.line, RULE.id, endpoint.address, RULE.severity,
                f"{endpoint.address} creates {endpoint.instance_count} endpoints (count/for_each), all in the same "
                f"subnet, but AWS allows one EC2 Instance Connect Endpoint per VPC (and per subnet): every one "
                f"after the first fails to create. Fix: create a single endpoint per VPC.",
            )
        group_key = endpoint.vpc if isinstance(endpoint.vpc, str) else (
            f"subnet:{endpoint.subnet}" if isinstance(endpoint.subnet, str) else None)
        if group_key is not None:
            by_vpc.setdefault(group_key, []).append(endpoint)
    for endpoints in by_vpc.values():
        first, *others = sorted(endpoints, key=lambda e: (e.location.file, e.location.line))
        for endpoint in others:
            yield Finding(
                endpoint.location.file, endpoint.location.line, RULE.id, endpoint.address, RULE.severity,
                f"{endpoint.address} is a second EC2 Instance Connect Endpoint in the VPC of {first.address} "
                f"({first.location.file}:{first.location.line}); AWS allows one per VPC, so this one fails to create. "
                f"Fix: remove it and let the one endpoint serve every subnet of the VPC.",
                (first.address,),
            )


RULE = RuleInfo(
    id="EICE008", name="multiple-endpoints-per-vpc", severity="error",
    title="More than one EC2 Instance Connect Endpoint in one VPC",
    fix="Keep one endpoint per VPC; it serves every subnet.",
    check=check,
)
