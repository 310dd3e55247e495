"""eice-checks beside checkov: installing it leaves checkov working, and it reads Terraform there
exactly as anywhere else (tree-sitter-hcl installs no `hcl2` module to clash with checkov's fork).

.ci/run builds that environment (a venv with eice-checks and its checkov extra, as users install
it) and points EICE_CHECKOV_ENV at it. Without it the tests skip locally, but fail under CI so they cannot
silently stop running.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from helpers import FIXTURES, scan

ENV = os.environ.get("EICE_CHECKOV_ENV")
if not ENV:
    if os.environ.get("CI"):
        pytest.fail("EICE_CHECKOV_ENV is not set: .ci/run must build the checkov environment", pytrace=False)
    pytest.skip("EICE_CHECKOV_ENV not set (set by .ci/run)", allow_module_level=True)

BIN = Path(ENV) / "bin"
TERRAFORM_FIXTURES = sorted(FIXTURES.glob("rules/*/terraform"))


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=300)


def test_checkov_still_works_next_to_eice_checks():
    version = run(str(BIN / "checkov"), "--version")
    assert version.returncode == 0, version.stderr
    fork = run(str(BIN / "python"), "-c", "import hcl2; from hcl2 import START_LINE; print(hasattr(hcl2, 'parses_to_tree'))")
    assert (fork.returncode, fork.stdout.strip()) == (0, "False"), fork.stderr  # still checkov's fork, intact
    check = run(str(BIN / "pip"), "check")
    assert check.returncode == 0, check.stdout


def test_checkov_still_scans_terraform():
    proc = run(str(BIN / "checkov"), "-d", ".", "--skip-download", "--framework", "terraform", "-o", "json",
               "--compact", "--quiet", cwd=FIXTURES / "rules" / "EICE005" / "terraform")
    assert proc.returncode == 1, proc.stderr  # checkov fails the run on its own findings
    failed = json.loads(proc.stdout)["results"]["failed_checks"]
    world_open = {(c["check_id"], c["resource"]) for c in failed if c["check_id"] in ("CKV_AWS_24", "CKV_AWS_25")}
    assert world_open == {
        ("CKV_AWS_24", "aws_security_group.legacy"),
        ("CKV_AWS_24", "aws_security_group.world_ssh"),
        ("CKV_AWS_24", "aws_security_group_rule.windows_open"),
        ("CKV_AWS_25", "aws_security_group_rule.windows_open"),
    }


@pytest.mark.parametrize("folder", TERRAFORM_FIXTURES, ids=lambda p: p.parent.name)
def test_same_findings_inside_checkovs_environment(folder: Path):
    proc = run(str(BIN / "eice-checks"), "--format", "json", ".", cwd=folder)
    assert "Traceback" not in proc.stderr
    inside = json.loads(proc.stdout)
    here = scan(folder)
    assert inside["errors"] == []
    assert [(f["rule"], f["file"], f["line"], f["resource"], f["message"]) for f in inside["findings"]] == [
        (f.rule, f.file, f.line, f.resource, f.message) for f in here.findings]
