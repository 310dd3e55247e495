"""`eice-checks --checkov-dir` prints the directory checkov loads the pack from (no checkov needed)."""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

from eice_checks.adapters.cli import main


def test_checkov_dir_prints_the_pack_directory_and_exits():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--checkov-dir", "ignored/path"]) == 0
    directory = Path(out.getvalue().strip())
    assert directory.name == "checkov_pack" and directory.parent.name == "eice_checks"
    assert (directory / "__init__.py").is_file()  # checkov loads nothing from a directory without it
    assert [p.name for p in directory.glob("*.py") if not p.name.startswith("__")] == ["ckv2_eice_checks.py"]
