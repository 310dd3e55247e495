"""EICE009: a network ACL on the way refuses the SSH/RDP request or its reply."""
from __future__ import annotations

from typing import Iterator

from ..analysis.acls import EPHEMERAL_PORTS, AclLeg, acl_block
from ..analysis.findings import Finding, RuleInfo
from ..analysis.paths import Analysis, port_label
from ..model.network import Endpoint
from .wording import mode_phrase


def check(analysis: Analysis) -> Iterator[Finding]:
    for path in analysis.paths:
        blocked = acl_block(analysis, path)
        refused = blocked.refused if blocked is not None else None
        if blocked is None or refused is None or refused.acl is None:
            continue
        endpoint, target, acl = path.endpoint, path.target, refused.acl
        entry = refused.entry
        where = entry.location if entry is not None and not entry.implicit else acl.location
        by = (f"by {entry.describe()}" if entry is not None
              else "by its final deny: no rule allows it")
        yield Finding(
            where.file, where.line, RULE.id, target.address, RULE.severity,
            f"{target.address} ({target.kind}) cannot be reached through {endpoint.address} on TCP "
            f"{port_label(blocked.port)}: {acl.described} of subnet {refused.subnet.name} refuses the "
            f"{refused.name} ({refused.describe_packets()}) {by}. Network ACLs are stateless: the request and its reply "
            f"must each be allowed in and out of both subnets; {mode_phrase(endpoint)}, so {_source(endpoint)}. "
            f"Fix: {_fix(refused)}.",
            tuple(dict.fromkeys((acl.name, *((entry.origin,) if entry is not None and not entry.implicit else ()),
                                 endpoint.address))),
            column=where.column, subjects=(target.key,),
        )


def _source(endpoint: Endpoint) -> str:
    if endpoint.preserve_client_ip is True:
        return "the traffic comes from the clients' public addresses"
    return "the traffic comes from the endpoint's network interface in its subnet"


def _fix(leg: AclLeg) -> str:
    direction, side = ("outbound", "to") if leg.egress else ("inbound", "from")
    ports = leg.describe_ports()
    reply = " (replies go to the ephemeral port the connection came from)" if leg.ports == EPHEMERAL_PORTS else ""
    before = f", numbered below {leg.entry.rule_number}" if leg.entry is not None and leg.entry.allow is False else ""
    acl = leg.acl.described if leg.acl is not None else "the subnet's network ACL"
    return f"add an {direction} rule to {acl} allowing {ports} {side} {leg.peer}{reply}{before}"


RULE = RuleInfo(
    id="EICE009", name="nacl-blocks-path", severity="error", reported_on="target",
    title="A network ACL between the endpoint's and the target's subnets refuses the SSH/RDP request or its reply",
    fix="Allow the admin port and the ephemeral reply ports (1024-65535) in and out of both subnets' network ACLs, before any rule that denies them.",
    check=check,
)
