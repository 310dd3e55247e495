"""Registers eice-checks' rules as Checkov checks (CKV2_EICE_<n>); see eice_checks.adapters.checkov_checks."""
from eice_checks.adapters.checkov_checks import register

CHECKS = register()
