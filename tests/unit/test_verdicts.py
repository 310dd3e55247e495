"""Verdicts per rule and resource, what the Checkov pack reports (it needs no checkov to test)."""
from __future__ import annotations

import inspect
import os
from dataclasses import replace

import pytest

from eice_checks import engine
from eice_checks.config import Config
from eice_checks.frontends.cloudformation.build import _HANDLERS as CLOUDFORMATION_HANDLERS, TemplateBuilder
from eice_checks.frontends.terraform.build import _HANDLERS as TERRAFORM_HANDLERS, ModuleBuilder
from eice_checks.rules import CATALOG, RULES_BY_ID
from eice_checks.verdicts import ENDPOINT_TYPES, FAILED, PASSED, TARGET_TYPES, UNKNOWN, Verdicts, resource_types

from helpers import FIXTURES, scan

EICE002_TF = FIXTURES / "rules" / "EICE002" / "terraform"
EICE002_CFN = FIXTURES / "rules" / "EICE002" / "cloudformation"
COUNT_NOT_KNOWN = FIXTURES / "precision" / "tf_endpoint_count_not_known"
MODULES = FIXTURES / "resolve" / "terraform_modules"


def _handlers(monkeypatch, builder_class, folder) -> dict:
    """The resource-type handlers of a front end's builder, as it builds a real scan."""
    seen: dict = {}
    original = builder_class.build

    def build(self):
        table = TERRAFORM_HANDLERS if builder_class is ModuleBuilder else CLOUDFORMATION_HANDLERS
        seen.update({kind: getattr(self, name) for kind, name in table.items()})
        return original(self)

    monkeypatch.setattr(builder_class, "build", build)
    scan(folder)
    return seen


@pytest.mark.parametrize("tool, builder_class, folder", [
    ("terraform", ModuleBuilder, EICE002_TF), ("cloudformation", TemplateBuilder, EICE002_CFN)])
def test_resource_types_are_those_the_front_ends_turn_into_endpoints_and_targets(monkeypatch, tool, builder_class,
                                                                                 folder):
    handlers = _handlers(monkeypatch, builder_class, folder)
    sources = {kind: inspect.getsource(handler) for kind, handler in handlers.items()}
    assert {k for k, s in sources.items() if "add_endpoint(" in s} == set(ENDPOINT_TYPES[tool])
    assert {k for k, s in sources.items() if "_add_target(" in s} == set(TARGET_TYPES[tool])


def test_every_rule_judges_endpoints_or_targets():
    for rule in CATALOG:
        assert rule.reported_on in ("endpoint", "target"), rule.id
        for tool in ("terraform", "cloudformation"):
            types = (ENDPOINT_TYPES if rule.reported_on == "endpoint" else TARGET_TYPES)[tool]
            assert resource_types(rule, tool) == types


def _verdicts(folder, config: Config | None = None):
    report = scan(folder, config)
    return report, Verdicts(report)


def _of(verdicts: Verdicts, folder, rule_id: str, file: str, address: str):
    return verdicts.of(RULES_BY_ID[rule_id], os.path.join(folder, file), address)


def test_a_finding_fails_its_resource_and_the_rest_pass(monkeypatch):
    monkeypatch.chdir(EICE002_TF)
    report, verdicts = _verdicts(EICE002_TF)
    failed = _of(verdicts, EICE002_TF, "EICE002", "main.tf", "aws_instance.fail_tagged")
    assert failed.outcome == FAILED
    assert [(f.rule, f.resource) for f in failed.findings] == [("EICE002", "aws_instance.fail_tagged")]
    assert _of(verdicts, EICE002_TF, "EICE002", "main.tf", "aws_instance.pass_web_server").outcome == PASSED
    assert _of(verdicts, EICE002_TF, "EICE001", "main.tf", "aws_ec2_instance_connect_endpoint.a").outcome == PASSED


def test_a_resource_in_another_file_or_not_in_the_model_is_not_concluded(monkeypatch):
    monkeypatch.chdir(EICE002_TF)
    _, verdicts = _verdicts(EICE002_TF)
    assert _of(verdicts, EICE002_TF, "EICE002", "other.tf", "aws_instance.fail_tagged").outcome == UNKNOWN
    assert _of(verdicts, EICE002_TF, "EICE002", "main.tf", "aws_instance.nowhere").outcome == UNKNOWN
    # a target rule asked about an endpoint: the endpoint is no target
    assert _of(verdicts, EICE002_TF, "EICE002", "main.tf", "aws_ec2_instance_connect_endpoint.a").outcome == UNKNOWN


def test_an_endpoint_that_may_not_exist_is_not_concluded(monkeypatch):
    monkeypatch.chdir(COUNT_NOT_KNOWN)
    _, verdicts = _verdicts(COUNT_NOT_KNOWN)
    unknown = _of(verdicts, COUNT_NOT_KNOWN, "EICE004", "main.tf", "aws_ec2_instance_connect_endpoint.pass_sandbox")
    assert unknown.outcome == UNKNOWN and "not known" in unknown.note
    assert _of(verdicts, COUNT_NOT_KNOWN, "EICE007", "main.tf",
               "aws_ec2_instance_connect_endpoint.fail_main").outcome == FAILED


def test_instances_of_a_module_and_count_are_found_expanded_or_not(monkeypatch):
    # every instance fails: the CLI reports one finding on the unexpanded address
    monkeypatch.chdir(MODULES)
    report, verdicts = _verdicts(MODULES)
    assert [(f.rule, f.resource) for f in report.findings] == [("EICE003", "module.app.aws_instance.this")]
    file = "modules/app/main.tf"
    for address in ('module.app["blue"].aws_instance.this[1]', "module.app.aws_instance.this"):
        verdict = _of(verdicts, MODULES, "EICE003", file, address)
        assert verdict.outcome == FAILED, address
        assert [f.resource for f in verdict.findings] == ["module.app.aws_instance.this"]
    assert len(verdicts.entities(RULES_BY_ID["EICE003"], str(MODULES / file), "module.app.aws_instance.this")) == 4


def test_a_disabled_rule_is_not_concluded(monkeypatch):
    monkeypatch.chdir(EICE002_TF)
    _, verdicts = _verdicts(EICE002_TF, Config(disable=frozenset({"EICE002"})))
    assert _of(verdicts, EICE002_TF, "EICE002", "main.tf", "aws_instance.fail_tagged").outcome == UNKNOWN


def test_a_rule_that_crashes_fails_every_resource_it_judges_and_says_so(monkeypatch):
    def crash(analysis):
        raise RuntimeError("boom")

    catalog = tuple(replace(r, check=crash) if r.id == "EICE003" else r for r in CATALOG)
    monkeypatch.setattr(engine, "CATALOG", catalog)
    monkeypatch.chdir(EICE002_TF)
    _, verdicts = _verdicts(EICE002_TF)
    crashed = _of(verdicts, EICE002_TF, "EICE003", "main.tf", "aws_instance.pass_web_server")
    assert crashed.outcome == FAILED
    assert "could not run EICE003" in crashed.note and "RuntimeError: boom" in crashed.note
    assert _of(verdicts, EICE002_TF, "EICE002", "main.tf", "aws_instance.fail_tagged").outcome == FAILED


def test_one_module_called_by_two_roots_is_judged_per_root(monkeypatch):
    folder = FIXTURES / "checkov" / "shared_module"
    monkeypatch.chdir(folder)
    report, verdicts = _verdicts(folder)
    (finding,) = report.findings  # one address, one place: one finding, about the staging root's instance
    assert (finding.rule, finding.resource) == ("EICE002", "module.app.aws_instance.this")
    rule, file = RULES_BY_ID["EICE002"], str(folder / "modules" / "app" / "main.tf")
    assert verdicts.of(rule, file, "module.app.aws_instance.this", str(folder / "live" / "staging")).outcome == FAILED
    assert verdicts.of(rule, file, "module.app.aws_instance.this", str(folder / "live" / "prod")).outcome == PASSED
    assert verdicts.of(rule, file, "module.app.aws_instance.this").outcome == FAILED  # no root given: either
