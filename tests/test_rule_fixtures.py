"""Every rule has failing and passing fixtures for CloudFormation and Terraform (checkov style).

A fixture folder ``tests/fixtures/rules/<RULE>/<tool>/`` holds resources named fail*/pass*
(``FailTarget`` in CloudFormation, whose logical ids allow no underscore; ``fail_target`` in
Terraform) and marks each line a finding must point at with ``# expect: <RULE>``. The test asserts
the exact set of (rule, file, line) over *all* rules, and that the rule under test reports on every
fail* resource it should and on no pass* resource.
"""
from __future__ import annotations

import re

import pytest

from eice_checks.frontends.cloudformation.loader import load_yaml
from eice_checks.rules import CATALOG
from helpers import FIXTURES, expected_markers, found, scan

RULES_DIR = FIXTURES / "rules"
CASES = sorted((rule.id, tool) for rule in CATALOG for tool in ("cloudformation", "terraform")
               if (RULES_DIR / rule.id / tool).is_dir())


def _local_name(resource: str) -> str:
    return resource.rsplit(".", 1)[-1].split("[", 1)[0]


@pytest.mark.parametrize("rule_id, tool", CASES)
def test_fixture_findings_are_exactly_the_marked_ones(rule_id: str, tool: str) -> None:
    folder = RULES_DIR / rule_id / tool
    report = scan(folder)
    assert report.errors == []
    assert {(rule, file, line) for rule, file, line, _ in found(report)} == expected_markers(folder)


@pytest.mark.parametrize("rule_id, tool", CASES)
def test_rule_fires_on_fail_resources_only(rule_id: str, tool: str) -> None:
    folder = RULES_DIR / rule_id / tool
    names = {_local_name(f.resource) for f in scan(folder).findings if f.rule == rule_id}
    assert names, f"{rule_id} reports nothing in its {tool} fixture"
    assert all(re.match(r"(?i)fail", name) for name in names), names
    assert names == {name for name in _declared_names(folder) if re.match(r"(?i)fail", name)}


def _declared_names(folder) -> set[str]:
    """Terraform resource names and CloudFormation logical ids declared in a fixture folder."""
    names: set[str] = set()
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".tf":
            names.update(re.findall(r'(?m)^resource\s+"\w+"\s+"(\w+)"', path.read_text()))
        elif path.suffix in (".yaml", ".yml"):
            names.update(load_yaml(path.read_text())["Resources"])
    return names


def test_every_rule_has_fixtures_for_both_tools() -> None:
    for rule in CATALOG:
        assert (RULES_DIR / rule.id / "terraform").is_dir(), rule.id
        assert (RULES_DIR / rule.id / "cloudformation").is_dir(), rule.id
