"""The README shows the tool's real output on the bundled examples."""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from eice_checks.adapters.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_readme_sample_output_is_current(monkeypatch):
    readme = (ROOT / "README.md").read_text()
    documented = re.search(r"```console\n\$ eice-checks examples/\n(.*?)\n```", readme, re.S).group(1)
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["examples/", "--color", "never"])
    assert code == 1  # the README says so: the examples contain mistakes on purpose
    assert out.getvalue().rstrip("\n") == documented
