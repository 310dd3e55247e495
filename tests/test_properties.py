"""Invariants over generated models (tests/property_models.py), with hypothesis: a fixed
derandomized search and a modest number of examples, so that CI runs the same cases every time.

- adding an allow rule never creates an EICE001 or EICE002 (the targets fixed by their tag);
- an ingress rule naming the endpoint's security group satisfies EICE002 and EICE003 whatever the
  preservation mode;
- renaming every resource, reordering them, or spreading them over other files changes no verdict;
- a CloudFormation template and the equivalent Terraform have the same verdicts;
- a scan of several directories reports what the scans of each report, together.
"""
from __future__ import annotations

import itertools
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import scan
from property_models import Model, Rule, allow_rules, models, write

SETTINGS = settings(max_examples=25, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
TOOLS = ("cloudformation", "terraform")
Verdict = tuple[str, str]  # (rule, resource name without the Terraform type)

_counter = itertools.count()


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="eice-properties-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def verdicts(model: Model, tool: str, scratch: Path) -> set[Verdict]:
    folder = write(model, scratch / str(next(_counter)), tool)
    report = scan(folder)
    shutil.rmtree(folder)
    assert report.errors == []
    prefix = model.prefix
    return {(f.rule, f.resource.rsplit(".", 1)[-1].removeprefix(prefix)) for f in report.findings}


@SETTINGS
@given(st.data(), st.sampled_from(TOOLS))
def test_an_allow_rule_never_creates_a_missing_path(scratch, data, tool):
    model = data.draw(models())
    group, rule = data.draw(allow_rules(model))
    before = {v for v in verdicts(model, tool, scratch) if v[0] in ("EICE001", "EICE002")}
    after = {v for v in verdicts(model.with_rule(group, rule), tool, scratch) if v[0] in ("EICE001", "EICE002")}
    assert after <= before, (group, rule)


@SETTINGS
@given(models(), st.sampled_from(TOOLS))
def test_ingress_from_the_endpoints_group_satisfies_the_target_in_both_modes(scratch, model, tool):
    fixed = model
    for target in model.targets:
        fixed = fixed.with_rule(target.group, Rule("-1", (0, 65535), "EndpointSg"))
    for preserve in (False, True):
        found = verdicts(replace(fixed, preserve=preserve), tool, scratch)
        assert {v for v in found if v[0] in ("EICE002", "EICE003")} == set(), preserve


@SETTINGS
@given(models(), st.sampled_from(TOOLS), st.sampled_from(("Renamed", "zz_", "a")), st.booleans(), st.integers(1, 3))
def test_renaming_and_reordering_change_no_verdict(scratch, model, tool, prefix, reverse, files):
    expected = verdicts(model, tool, scratch)
    assert verdicts(replace(model, prefix=prefix, reverse=reverse, files=files), tool, scratch) == expected


@SETTINGS
@given(models())
def test_cloudformation_and_the_equivalent_terraform_agree(scratch, model):
    assert verdicts(model, "cloudformation", scratch) == verdicts(model, "terraform", scratch)


@SETTINGS
@given(st.lists(st.tuples(models(), st.sampled_from(TOOLS)), min_size=2, max_size=3))
def test_a_scan_of_several_directories_is_the_union_of_each(scratch, parts):
    root = scratch / str(next(_counter))
    names = [f"d{i}" for i in range(len(parts))]
    for name, (model, tool) in zip(names, parts):
        write(model, root / name, tool)
    each = [scan(root, paths=[name]) for name in names]
    together = scan(root, paths=names)
    shutil.rmtree(root)

    def key(report: object) -> set[tuple[str, str, int, str]]:
        return {(f.rule, f.file, f.line, f.resource) for f in report.findings}  # type: ignore[attr-defined]

    assert key(together) == set().union(*(key(r) for r in each))
    assert together.errors == [] and all(r.errors == [] for r in each)


def test_the_generated_models_reach_every_path_rule(scratch):
    seen: set[str] = set()

    @SETTINGS
    @given(models())
    def collect(model: Model) -> None:
        seen.update(rule for rule, _ in verdicts(model, "cloudformation", scratch))

    collect()
    assert seen == {"EICE001", "EICE002", "EICE003", "EICE005"}  # none of the others can arise here
