"""The rule pages in rules/ agree with the catalog, and their example output is the tool's real output."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from eice_checks.rules import CATALOG

ROOT = Path(__file__).resolve().parent.parent
RULES_DIR = ROOT / "rules"
SCRIPT = ROOT / "scripts" / "update_rule_docs.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("update_rule_docs", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


update_rule_docs = _load_script()


def _page(rule_id: str) -> str:
    path = RULES_DIR / f"{rule_id}.md"
    assert path.is_file(), f"{rule_id} has no page at rules/{rule_id}.md"
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("rule", CATALOG, ids=lambda r: r.id)
def test_page_heading_and_severity_match_the_catalog(rule) -> None:
    lines = _page(rule.id).split("\n")
    assert lines[0] == f"# {rule.id} {rule.name}"
    severity_lines = [line for line in lines if line.startswith("**Severity:**")]
    assert len(severity_lines) == 1, "one **Severity:** line per page"
    match = re.match(r"\*\*Severity:\*\* (\w+) · \*\*Reported on:\*\* the (endpoint|target) · \*\*Tools:\*\* (.+)$",
                     severity_lines[0])
    assert match, severity_lines[0]
    assert match.group(1) == rule.severity
    assert match.group(2) == rule.reported_on
    # Every rule applies to both tools; EICE006 too, since a CloudFormation endpoint takes its
    # subnet's IP address type (EC2 API reference, CreateInstanceConnectEndpoint).
    assert match.group(3) == "CloudFormation, Terraform"


@pytest.mark.parametrize("rule", CATALOG, ids=lambda r: r.id)
def test_page_has_the_sections_and_examples_with_output(rule) -> None:
    text = _page(rule.id)
    for heading in ("## Example", "## Why", "## How to fix"):
        assert re.search(rf"(?m)^{heading}$", text), f"{rule.id}: missing {heading!r}"
    examples = update_rule_docs.find_examples(text)
    languages = {example.language for example in examples}
    assert "hcl" in languages, f"{rule.id}: no Terraform example with console output"
    assert "yaml" in languages, f"{rule.id}: no CloudFormation example with console output"
    for example in examples:
        assert example.console and example.console[0] == f"$ eice-checks {example.file_name}"
        # A bad example must show the rule it documents.
        assert any(f" {rule.id} " in line for line in example.console), \
            f"{rule.id}: the {example.language} example at line {example.line} does not report {rule.id}"


def test_index_has_one_row_per_rule_matching_the_catalog() -> None:
    text = (RULES_DIR / "README.md").read_text(encoding="utf-8")
    header = "| ID | Name | Severity | Reported on | What it reports |"
    assert header in text
    rows = re.findall(r"(?m)^\| \[(EICE\d{3})\]\((EICE\d{3})\.md\) \| ([^|]+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$", text)
    assert [row[0] for row in rows] == [rule.id for rule in CATALOG]
    for (rule_id, link, name, severity, reported_on, title), rule in zip(rows, CATALOG):
        assert link == rule_id
        assert (name, severity, title) == (rule.name, rule.severity, rule.title)
        page_reported_on = re.search(r"\*\*Reported on:\*\* (the \w+)", _page(rule_id)).group(1)
        assert reported_on == page_reported_on == f"the {rule.reported_on}"


def test_id_table_maps_every_rule_to_its_host_ids() -> None:
    text = (RULES_DIR / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"(?m)^\| (EICE\d{3}) \| ([EWI]\d{4}) \| (CKV2_EICE_\d+) \|$", text)
    assert rows == [(rule.id, rule.cfn_lint_id, rule.checkov_id) for rule in CATALOG]
    assert [row[1][0] for row in rows] == [{"error": "E", "warning": "W", "info": "I"}[r.severity] for r in CATALOG]
    assert len({row[1] for row in rows}) == len({row[2] for row in rows}) == len(CATALOG)


def test_no_page_for_an_unknown_rule() -> None:
    pages = {path.stem for path in RULES_DIR.glob("EICE*.md")}
    assert pages == {rule.id for rule in CATALOG}


def test_example_output_is_current() -> None:
    problems = update_rule_docs.check_or_update(update=False)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("rule", CATALOG, ids=lambda r: r.id)
def test_page_ends_with_the_ids_and_suppressions_in_each_tool(rule) -> None:
    """The generated section (ids from the catalog), and each suppression it shows is one the engine
    reads as suppressing this rule (the hosts' own runs: test_suppressions, test_cfn_lint_plugin,
    test_checkov_pack)."""
    from eice_checks.frontends.cloudformation.loader import load_yaml
    from eice_checks.frontends.terraform.hcl import Comment
    from eice_checks.suppressions import from_comments, from_metadata

    text = _page(rule.id)
    section = text[text.index(f"\n{update_rule_docs.HOSTS_HEADING}\n") + 1:]
    assert section == update_rule_docs.hosts_section(rule)
    assert f"| cfn-lint | `{rule.cfn_lint_id}` |" in section and f"| Checkov | `{rule.checkov_id}` |" in section
    for metadata in re.findall(r"`Metadata: (\{.*?\})`", section):
        template = f"Resources:\n  R:\n    Type: AWS::EC2::Instance\n    Metadata: {metadata.replace('<reason>', 'why')}\n"
        assert [s.rule for s in from_metadata("t.yaml", load_yaml(template))] == [rule.id], metadata
    for comment in re.findall(r"Terraform: `(#[^`]*)`", section):
        assert [s.rule for s in from_comments("m.tf", [Comment(comment.replace("<reason>", "why"), 1)])] == [rule.id]
