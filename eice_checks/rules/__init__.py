"""The rule catalog: one module per rule, each a pure function over the analysed model."""
from __future__ import annotations

from ..analysis.findings import RuleInfo
from . import (
    eice001_endpoint_egress_missing, eice002_target_ingress_missing, eice003_cidr_preservation_mismatch,
    eice004_endpoint_default_security_group, eice005_admin_port_open_to_world, eice006_preservation_unsupported,
    eice007_preservation_implicit, eice008_multiple_endpoints_per_vpc, eice009_nacl_blocks_path,
)

CATALOG: tuple[RuleInfo, ...] = tuple(module.RULE for module in (
    eice001_endpoint_egress_missing, eice002_target_ingress_missing, eice003_cidr_preservation_mismatch,
    eice004_endpoint_default_security_group, eice005_admin_port_open_to_world, eice006_preservation_unsupported,
    eice007_preservation_implicit, eice008_multiple_endpoints_per_vpc, eice009_nacl_blocks_path,
))
RULES_BY_ID = {rule.id: rule for rule in CATALOG}
