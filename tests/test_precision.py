"""Configurations that work, or that cannot be judged from the sources, must yield no finding.

Each folder under tests/fixtures/precision is a pattern from real repositories that once produced a
false error: rules added from outside a group's own resource (registry modules, nested stacks,
rules stacks, ignore_changes), catch-all internal rules and directly reachable bastions taken for
endpoint targets, VPC ranges associated elsewhere, the same endpoint seen twice (a plan beside its
source, a SAM build copy), dynamic references, conditional rules, transforms, override files, and
modules with a file or variables file that could not be read.
"""
from __future__ import annotations

import pytest

from eice_checks.adapters.cli import main
from helpers import FIXTURES, scan

PRECISION = FIXTURES / "precision"
UNREADABLE = {  # folders holding a file that cannot be read on purpose: reported, and nothing concluded
    "tf_unparsable_file_in_module": [("rules.tf", "invalid HCL: unexpected end of file (an unclosed block, bracket or string?)")],
    "tf_unreadable_tfvars": [("terraform.tfvars", "skipped: not UTF-8 text")],
}


@pytest.mark.parametrize("folder", sorted(p.name for p in PRECISION.iterdir()))
def test_no_error_or_warning(folder):
    report = scan(PRECISION / folder)
    assert [(f.rule, f.file, f.line, f.resource) for f in report.findings if f.severity != "info"] == []
    assert [(e.file, e.message) for e in report.errors] == UNREADABLE.get(folder, [])


def test_one_file_of_a_module_is_read_with_its_directory(capsys, monkeypatch):
    monkeypatch.chdir(PRECISION / "tf_rules_in_another_file")
    assert main(["main.tf"]) == 0  # rules.tf beside it holds the ingress rule
    assert "2 files scanned" in capsys.readouterr().out
