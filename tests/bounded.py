"""Scans of hostile input, each beside a valid source whose findings must still be reported: run by
the CLI's main(argv) in a fresh interpreter, so that its time and peak memory are its own."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from helpers import FIXTURES, expected_markers

SECONDS = 10
MEGABYTES = 500
VALID_TF = FIXTURES / "rules" / "EICE002" / "terraform" / "main.tf"
VALID_CFN = FIXTURES / "rules" / "EICE002" / "cloudformation" / "template.yaml"

_CHILD = """
import json, resource, sys
from eice_checks.adapters.cli import main
code = main(["--format", "json", "."])
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
print(json.dumps({"code": code, "peak_mb": peak / 1024}), file=sys.stderr)
"""


def beside_valid(root: Path, files: dict[str, str], valid: Path = VALID_TF) -> Path:
    """``root`` holding ``files`` (relative path -> text) and, in ``valid/``, a copy of ``valid``."""
    (root / "valid").mkdir(parents=True)
    shutil.copy(valid, root / "valid" / valid.name)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def scan_bounded(root: Path) -> dict:
    """The JSON report of ``eice-checks --format json .`` in ``root``, after asserting that it
    finished within SECONDS and MEGABYTES with exit status 1 (the valid source's findings)."""
    proc = subprocess.run([sys.executable, "-c", _CHILD], cwd=root, capture_output=True, text=True,
                          timeout=SECONDS)
    status = json.loads(proc.stderr.strip().splitlines()[-1])
    assert status["peak_mb"] < MEGABYTES, status
    assert status["code"] == 1, proc.stdout
    return json.loads(proc.stdout)


def valid_findings(report: dict) -> set[tuple[str, str, int]]:
    """(rule, file, line) of the findings in ``valid/``."""
    return {(f["rule"], f["file"], f["line"]) for f in report["findings"] if f["file"].startswith("valid/")}


def expected(valid: Path = VALID_TF, folder: str = "valid") -> set[tuple[str, str, int]]:
    """What ``valid`` reports, copied into ``folder``: its `# expect:` markers."""
    return {(rule, f"{folder}/{file}", line) for rule, file, line in expected_markers(valid.parent)
            if file == valid.name}


def notes(report: dict) -> list[str]:
    """The report's errors as ``file:line: message``."""
    return [f"{e['file']}:{e.get('line', '')}: {e['message']}" for e in report["errors"]]
