"""The peer benchmark's generated repositories (benchmarks/realistic.py) are what they say: the same
files for the same size and seed, read without an error, with the mistakes put in on purpose found."""
from __future__ import annotations

import hashlib
import sys
from collections import Counter
from pathlib import Path

from helpers import scan

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from realistic import generate  # noqa: E402


def _digest(root: Path) -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())).hexdigest()


def test_a_generated_repository_is_read_whole_and_its_mistakes_found(tmp_path):
    generate(tmp_path / "a", 30)
    generate(tmp_path / "b", 30)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    report = scan(tmp_path / "a")
    assert report.errors == []
    assert (report.scanned.candidates, report.scanned.read) == (93, 93)  # 30 templates, 3 x 30 root files, 3 modules
    assert Counter((f.rule, f.file.split("/")[0]) for f in report.findings) == {
        ("EICE003", "cloudformation"): 8, ("EICE003", "terraform"): 1}
    # the Terraform mistake: every instance of one root's service module fails at one place, so the
    # instances collapse (other roots hold the same addresses without the mistake)
    (terraform,) = [f for f in report.findings if f.file.startswith("terraform")]
    assert (terraform.file, terraform.line, terraform.resource) == (
        "terraform/modules/service/main.tf", 17, "module.service.aws_instance.this")
    assert {s.split("#")[0].split("::")[0] for s in terraform.subjects} == {"terraform/live/prod-0017"}
