"""eice-checks beside checkov: installing it leaves checkov working, and it reads Terraform with
checkov's own `hcl2` (bc-python-hcl2) exactly as it does with python-hcl2.

.ci/run builds that environment (a venv with checkov, then the base eice-checks) and points
EICE_CHECKOV_ENV at it. Without it the tests skip locally, but fail under CI so they cannot
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
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=120)


def test_checkov_still_works_next_to_eice_checks():
    version = run(str(BIN / "checkov"), "--version")
    assert version.returncode == 0, version.stderr
    fork = run(str(BIN / "python"), "-c", "import hcl2; from hcl2 import START_LINE; print(hasattr(hcl2, 'parses_to_tree'))")
    assert (fork.returncode, fork.stdout.strip()) == (0, "False"), fork.stderr  # still checkov's fork, intact


@pytest.mark.parametrize("folder", TERRAFORM_FIXTURES, ids=lambda p: p.parent.name)
def test_same_findings_with_checkovs_hcl2(folder: Path):
    proc = run(str(BIN / "eice-checks"), "--format", "json", ".", cwd=folder)
    assert "Traceback" not in proc.stderr
    with_fork = json.loads(proc.stdout)
    with_python_hcl2 = scan(folder)
    assert with_fork["errors"] == []
    assert [(f["rule"], f["file"], f["line"], f["resource"], f["message"]) for f in with_fork["findings"]] == [
        (f.rule, f.file, f.line, f.resource, f.message) for f in with_python_hcl2.findings]
