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


def _cli(monkeypatch, args: list[str]) -> tuple[int, str]:
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(args)
    return code, out.getvalue()


def test_readme_explain_output_is_current(monkeypatch):
    readme = (ROOT / "README.md").read_text()
    documented = re.search(r"```console\n\$ eice-checks --explain examples/terraform/\n(.*?)\n```", readme, re.S).group(1)
    code, out = _cli(monkeypatch, ["--explain", "examples/terraform/", "--color", "never"])
    assert code == 1
    assert out.rstrip("\n") == documented


def test_readme_markdown_output_is_current_and_its_diagram_parses(monkeypatch):
    from mermaid_parser import diagrams, parse_errors

    readme = (ROOT / "README.md").read_text()
    documented = re.search(r"~~~console\n\$ eice-checks --format markdown examples/terraform/\n(.*?)\n~~~", readme, re.S).group(1)
    code, out = _cli(monkeypatch, ["--format", "markdown", "examples/terraform/"])
    assert code == 1
    assert out.rstrip("\n") == documented
    # the README shows the diagram rendered: the same one, and Mermaid parses it
    rendered = re.search(r"Rendered, the diagram above is:\n\n```mermaid\n(.*?)```", readme, re.S).group(1)
    assert [rendered] == diagrams(out)
    assert parse_errors([rendered]) == []


def _within(documented, actual) -> bool:
    """``documented`` is ``actual`` with some keys and list items left out (lists: a prefix)."""
    if isinstance(documented, dict):
        return isinstance(actual, dict) and all(k in actual and _within(v, actual[k]) for k, v in documented.items())
    if isinstance(documented, list):
        return (isinstance(actual, list) and len(documented) <= len(actual)
                and all(_within(d, a) for d, a in zip(documented, actual)))
    return documented == actual


def test_readme_json_paths_are_the_real_output(monkeypatch):
    import json

    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("With `--explain`, one more key, `paths`"):]
    documented = json.loads(re.search(r"```json\n(.*?)\n```", section, re.S).group(1))
    code, out = _cli(monkeypatch, ["--explain", "--format", "json", "examples/terraform/"])
    actual = json.loads(out)
    assert _within(documented, actual)
    # only the legs of port 3389 are left out, as the README says
    documented_legs = documented["paths"][0]["resources"][0]["legs"]
    actual_legs = actual["paths"][0]["resources"][0]["legs"]
    assert documented_legs == [leg for leg in actual_legs if leg["port"] != 3389]
    assert documented["paths"][0]["resources"][0] == {**actual["paths"][0]["resources"][0], "legs": documented_legs}


def test_readme_usage_names_explain_and_markdown():
    readme = (ROOT / "README.md").read_text()
    usage = readme[readme.index("## Usage"):readme.index("### Why a verdict")]
    assert "[--format text|json|sarif|github|markdown] [--explain]" in usage
