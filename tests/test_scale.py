"""Many stacks and modules in one scan: each endpoint judges its own VPC only, so one scan of all
fixtures reports exactly what scanning each fixture folder alone reports."""
from __future__ import annotations


from eice_checks.config import Config
from helpers import FIXTURES, expected_markers, found, scan

FOLDERS = sorted(FIXTURES.glob("rules/*/*")) + sorted(p for p in (FIXTURES / "resolve").iterdir() if p.is_dir())


def test_one_scan_of_every_fixture_equals_the_sum_of_the_folders():
    expected = set()
    for folder in FOLDERS:
        prefix = folder.relative_to(FIXTURES).as_posix()
        expected |= {(rule, f"{prefix}/{file}", line) for rule, file, line in expected_markers(folder)}
    expected.add(("EICE003", "resolve/plan/plan.json", 39))  # JSON holds no markers (test_resolve_terraform)
    expected.add(("EICE003", "resolve/real_plan/modules/app/main.tf", 21))  # the plan points at declarations
    report = scan(FIXTURES, Config(), None, paths=["rules", "resolve"])
    assert report.errors == []
    assert {(rule, file, line) for rule, file, line, _ in found(report)} == expected
    vpcs_with_endpoints = {e.vpc for e in report.scanned.model.endpoints if isinstance(e.vpc, str)}
    assert len(vpcs_with_endpoints) > 40  # the scan really held dozens of VPCs side by side


def test_unknown_values_yield_no_finding():
    assert found(scan(FIXTURES / "resolve" / "unknowns", Config(fail_on="info"))) == set()
