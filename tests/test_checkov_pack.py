"""The Checkov custom policy pack, run by the real checkov.

.ci/run builds a checkov environment with ``pip install "$root[checkov]"`` and points
EICE_CHECKOV_ENV at it. Without it the tests skip locally, but fail under CI so they cannot silently
stop running. Checkov starts slowly (seconds), so one run covers every fixture and every output
format; its results are then split by fixture folder. Checkov hides errors in custom checks (a
crash becomes UNKNOWN, which it does not show) and loads nothing from a directory without
``__init__.py``, so the tests look for our ids among real FAILED and PASSED results.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import pytest

from eice_checks.engine import base_address
from eice_checks.rules import CATALOG

from helpers import FIXTURES, scan

ENV = os.environ.get("EICE_CHECKOV_ENV")
if not ENV:
    if os.environ.get("CI"):
        pytest.fail("EICE_CHECKOV_ENV is not set: .ci/run must build the checkov environment", pytrace=False)
    pytest.skip("EICE_CHECKOV_ENV not set (set by .ci/run)", allow_module_level=True)

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(ENV) / "bin"
CONFORMANCE = ROOT.parent / "shared" / "conformance"
SUPPRESSED = FIXTURES / "checkov" / "suppressed"
OURS = {rule.checkov_id: rule for rule in CATALOG}
# checkov asks PyPI for a newer version on every run unless told not to; nothing here may use the network
CHECKOV_ENVIRONMENT = {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE",
                       "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
FRAMEWORKS = ["--framework", "terraform", "terraform_plan", "cloudformation"]
# every leaf fixture folder with Terraform, CloudFormation or plans
FOLDERS = [p for pattern in ("rules/*/*", "resolve/*", "precision/*", "plans/*", "sources/*", "cli/*", "cdk",
                             "checkov/*", "suppress/*") for p in sorted(FIXTURES.glob(pattern)) if p.is_dir()]


def run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={**CHECKOV_ENVIRONMENT, **env})


def pack_dir() -> str:
    return run(str(BIN / "eice-checks"), "--checkov-dir", cwd=ROOT).stdout.strip()


def checkov(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return run(str(BIN / "checkov"), "--skip-download", "--external-checks-dir", pack_dir(), *args, cwd=cwd)


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess:
    """A command as the README writes it, in the checkov environment."""
    return run("bash", "-c", command, cwd=cwd)


@dataclass(frozen=True)
class Result:
    check_id: str
    status: str  # PASSED, FAILED, SKIPPED
    resource: str  # the Terraform address, or the CloudFormation logical id
    shown: str  # the resource as checkov prints it (CloudFormation: Type.LogicalId)
    file: str  # relative to the scan root
    details: tuple[str, ...]
    caller: str  # for a resource in a Terraform module: the file of the module call


def results(output: str | dict | list) -> list[Result]:
    """Checkov's JSON output (one report per framework, or a bare summary when nothing matched)."""
    reports = json.loads(output) if isinstance(output, str) else output
    found = []
    for report in reports if isinstance(reports, list) else [reports]:
        for status in ("passed", "failed", "skipped"):
            for record in report.get("results", {}).get(f"{status}_checks", []):
                shown = resource = record["resource"]
                if report["check_type"] == "cloudformation":
                    resource = resource.rsplit(".", 1)[1]  # AWS::EC2::Instance.Name
                found.append(Result(record["check_id"], status.upper(), resource, shown,
                                    record["file_path"].lstrip("/"), tuple(record.get("details") or ()),
                                    (record.get("caller_file_path") or "").lstrip("/")))
    return found


def cli_results(text: str) -> set[tuple[str, str, str]]:
    """(check id, status, resource) from checkov's cli output."""
    return set(re.findall(r'Check: (\S+): ".*"\n\t(PASSED|FAILED|SKIPPED) for resource: (\S+)', text))


_DETAILS = re.compile(r"/(?P<file>.+?):(?P<line>\d+): (?P<message>.*)", re.S)


def reported(found: list[Result]) -> list[tuple[str, str, str, int, str]]:
    """(rule, resource, file, line, message) of every finding in the details of our FAILED results."""
    reports = []
    for result in found:
        if result.status == "FAILED" and result.check_id in OURS:
            for detail in result.details:
                match = _DETAILS.fullmatch(detail)
                assert match, detail
                reports.append((OURS[result.check_id].id, result.resource, match["file"], int(match["line"]),
                                match["message"]))
    return reports


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> dict:
    """One checkov run over every fixture, in every output format we claim, and the CLI's findings
    on the same folder."""
    out = tmp_path_factory.mktemp("checkov")
    proc = checkov("-d", ".", "--check", "CKV2_EICE_*", *FRAMEWORKS, "-o", "cli", "-o", "json", "-o", "sarif",
                   "-o", "junitxml", "--output-file-path", str(out), cwd=FIXTURES)
    assert proc.returncode == 1, proc.stderr  # our failing fixtures fail the run
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    return {"results": results((out / "results_json.json").read_text()), "cli": (out / "results_cli.txt").read_text(),
            "sarif": json.loads((out / "results_sarif.sarif").read_text()),
            "junit": ElementTree.parse(out / "results_junitxml.xml"), "report": scan(FIXTURES)}


def in_downloaded_module(report, finding) -> bool:
    """Whether the finding is about resources declared inside modules `terraform init` downloaded:
    checkov with --skip-download does not read those (the CLI reports them at the module call)."""
    entities = {e.key: e for e in (*report.scanned.model.endpoints, *report.scanned.model.targets)}
    return all("/.terraform/modules/" in f"/{entities[key].location.file}" for key in finding.subjects)


def assert_same_findings(found: list[Result], report, prefix: str = "") -> None:
    """Every finding of the CLI under ``prefix`` is in the details of a FAILED result of the same
    rule on its resource (or an instance of it), with its file, line and message, unless checkov
    cannot see the resource or its suppression skipped the check; nothing else is."""
    suppressed = {(OURS[r.check_id].id, base_address(r.resource)) for r in found
                  if r.status == "SKIPPED" and r.check_id in OURS and r.file.startswith(prefix)}
    expected = {(f.rule, f.resource, f.file, f.line, f.message) for f in report.findings
                if f.file.startswith(prefix) and not in_downloaded_module(report, f)
                and (f.rule, base_address(f.resource)) not in suppressed}
    in_checkov = set()
    for rule, resource, file, line, message in reported(found):
        if not file.startswith(prefix):
            continue
        # (checkov names a resource of a module called with count/for_each without the call's
        # index; a finding on one instance names it in its message, which must be the same)
        matches = {e for e in expected if e[0] == rule and base_address(e[1]) == base_address(resource)
                   and e[2:] == (file, line, message)}
        assert matches, f"checkov reports {rule} on {resource} at {file}:{line} that the CLI does not"
        in_checkov |= matches
    assert expected - in_checkov == set(), "CLI findings checkov does not report"


def test_the_extra_brings_checkov_3_and_no_python_hcl2():
    probe = ("import importlib.metadata as m, json\n"
             "names = {d.metadata['Name'].lower() for d in m.distributions()}\n"
             "print(json.dumps([m.version('checkov'), 'python-hcl2' in names, m.requires('eice-checks')]))")
    proc = run(str(BIN / "python"), "-c", probe, cwd=ROOT)
    checkov_version, has_python_hcl2, requires = json.loads(proc.stdout)
    assert checkov_version.startswith("3."), checkov_version
    assert not has_python_hcl2
    assert any(r.replace(" ", "") in ('checkov<4,>=3;extra=="checkov"', 'checkov>=3,<4;extra=="checkov"')
               for r in requires), requires
    assert '"$root[checkov]"' in (ROOT / ".ci" / "run").read_text()  # this environment is the extra's


def test_the_pack_directory_is_importable_by_checkov():
    directory = Path(pack_dir())
    assert (directory / "__init__.py").is_file()  # checkov loads nothing from a directory without it
    checks = sorted(p.name for p in directory.glob("*.py") if not p.name.startswith("__"))
    assert checks
    for name in checks:  # each is imported as a top-level module: absolute imports only
        assert not re.search(r"(?m)^\s*from \.", (directory / name).read_text()), name


def test_every_check_loaded_ran_and_comes_from_the_catalog(batch):
    found = batch["results"]
    assert {r.check_id for r in found if r.status == "FAILED"} == set(OURS)
    assert {r.check_id for r in found if r.status == "PASSED"} == set(OURS)
    sarif_rules = {r["id"]: r for run_ in batch["sarif"]["runs"] for r in run_["tool"]["driver"]["rules"]}
    for check_id, rule in OURS.items():
        assert rule.title in sarif_rules[check_id]["name"] and rule.id in sarif_rules[check_id]["name"]
        assert f"Guide: {rule.page}" in batch["cli"]


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_same_findings_as_the_cli(batch, folder: Path):
    assert_same_findings(batch["results"], batch["report"], folder.relative_to(FIXTURES).as_posix() + "/")


def test_findings_inside_downloaded_modules_are_the_only_ones_checkov_cannot_show(batch):
    skipped = {(f.rule, f.resource) for f in batch["report"].findings if in_downloaded_module(batch["report"], f)}
    assert skipped == {("EICE005", "module.app.aws_instance.this"),
                       ("EICE007", "module.eice.aws_ec2_instance_connect_endpoint.this")}


def test_an_endpoint_that_may_not_exist_gets_no_result(batch):
    # UNKNOWN, which checkov does not show: its count depends on a variable without a value
    folder = "precision/tf_endpoint_count_not_known/main.tf"
    ours = {(r.resource, r.status) for r in batch["results"] if r.check_id in OURS and r.file == folder}
    assert ("aws_ec2_instance_connect_endpoint.fail_main", "PASSED") in ours
    assert not {status for resource, status in ours if resource == "aws_ec2_instance_connect_endpoint.pass_sandbox"}


def test_a_module_two_roots_call_is_judged_per_root(batch):
    verdicts = {(r.caller, r.status) for r in batch["results"]
                if r.check_id == "CKV2_EICE_2" and r.file == "checkov/shared_module/modules/app/main.tf"}
    assert verdicts == {("checkov/shared_module/live/prod/main.tf", "PASSED"),
                        ("checkov/shared_module/live/staging/main.tf", "FAILED")}


@pytest.mark.skipif(not CONFORMANCE.is_dir(), reason="no shared conformance suite beside the checkout")
def test_same_findings_as_the_cli_on_the_conformance_cases():
    proc = checkov("-d", ".", "--check", "CKV2_EICE_*", *FRAMEWORKS, "-o", "json", cwd=CONFORMANCE)
    assert "Traceback" not in proc.stderr, proc.stderr
    report = scan(CONFORMANCE)
    assert report.findings
    assert_same_findings(results(proc.stdout), report)


def test_results_appear_in_every_output_format(batch):
    failed = [r for r in batch["results"] if r.check_id == "CKV2_EICE_2" and r.status == "FAILED"
              and r.file.startswith("rules/EICE002/")]
    assert {r.file for r in failed} == {"rules/EICE002/terraform/main.tf", "rules/EICE002/cloudformation/template.yaml"}
    for result in failed:
        (detail,) = result.details
        assert f"FAILED for resource: {result.shown}\n\tSeverity: HIGH\n\tDetails: {detail}\n" in batch["cli"]
        sarif = [r for run_ in batch["sarif"]["runs"] for r in run_["results"]
                 if r["ruleId"] == "CKV2_EICE_2" and r["attachments"] == [{"description": detail}]]
        assert len(sarif) == 1 and sarif[0]["level"] == "error", detail
        junit = [case for case in batch["junit"].iter("testcase") if "[CKV2_EICE_2]" in case.get("name", "")
                 and case.get("classname", "").endswith(f".{result.shown}") and case.find("failure") is not None]
        assert len(junit) == 1, result.shown


# -- the README's "Checkov" section, exactly as written -------------------------------------------
def readme_blocks() -> dict[str, list[str]]:
    readme = (ROOT / "README.md").read_text()
    section = re.search(r"(?ms)^## Checkov\n(.*?)^## ", readme).group(1)
    blocks: dict[str, list[str]] = {}
    for language, body in re.findall(r"(?ms)^```(\w+)\n(.*?)^```", section):
        blocks.setdefault(language, []).append(body)
    return blocks


def readme_line(block: int, line: int = 0) -> str:
    return readme_blocks()["sh"][block].splitlines()[line]


def test_readme_install_names_this_extra():
    install = readme_line(0)
    assert install == "pip install 'eice-checks[checkov]'"
    assert 'checkov = ["checkov>=3,<4"]' in (ROOT / "pyproject.toml").read_text()


def test_readme_command_and_suppressions():
    blocks = readme_blocks()
    hcl, yaml = blocks["hcl"][0], blocks["yaml"][0]
    assert hcl in (SUPPRESSED / "terraform" / "main.tf").read_text()
    assert yaml in (SUPPRESSED / "cloudformation" / "template.yaml").read_text()
    proc = shell(readme_line(0, 1), SUPPRESSED)
    assert proc.returncode == 1, proc.stderr  # checkov's own checks fail here
    assert "Traceback" not in proc.stderr, proc.stderr
    found = cli_results(proc.stdout)
    assert any(check.startswith("CKV_AWS_") for check, _, _ in found)  # checkov's own scans still run
    ours = {(check, status, resource) for check, status, resource in found if check in OURS}
    skipped = {("CKV2_EICE_2", "SKIPPED", "aws_instance.legacy"),
               ("CKV2_EICE_2", "SKIPPED", "AWS::EC2::Instance.Legacy")}
    assert skipped <= ours
    assert {status for _, status, _ in ours - skipped} == {"PASSED"}  # the rest of the pack ran
    assert proc.stdout.count("Suppress comment: reached through Session Manager until it is retired") == 2
    # the CLI honours checkov's suppressions too, with their reasons
    report = scan(SUPPRESSED)
    assert report.findings == []
    assert {(s.finding.rule, s.finding.resource, s.reason) for s in report.suppressed} == {
        ("EICE002", "aws_instance.legacy", "reached through Session Manager until it is retired"),
        ("EICE002", "Legacy", "reached through Session Manager until it is retired")}


def test_readme_check_and_skip_check():
    folder = FIXTURES / "rules" / "EICE007"
    proc = shell(readme_line(1), folder)
    assert "Traceback" not in proc.stderr, proc.stderr
    checks = {check for check, _, _ in cli_results(proc.stdout)}
    endpoint_checks = {check_id for check_id, rule in OURS.items() if rule.reported_on == "endpoint"}
    assert checks == endpoint_checks - {"CKV2_EICE_7"}  # these fixtures have endpoints only
    assert {r.rule for r in scan(folder).findings} == {"EICE007"}  # so nothing fails: exit 0
    assert proc.returncode == 0, proc.stdout[-2000:]


def test_readme_plan_command(tmp_path):
    show, command = readme_line(2), readme_line(2, 1)
    assert show.endswith("> plan.json") and "-f plan.json" in command
    for name in ("main.tf", "plan.json"):
        shutil.copy(FIXTURES / "plans" / "for_each_instances" / name, tmp_path / name)
    proc = shell(command, tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    failed = {(check, resource) for check, status, resource in cli_results(proc.stdout)
              if status == "FAILED" and check in OURS}
    report = scan(tmp_path / "plan.json")
    assert report.findings
    assert failed == {(f"CKV2_EICE_{int(f.rule[4:])}", f.resource) for f in report.findings}


# -- the pack never raises ------------------------------------------------------------------------
NEVER_RAISES = r"""
import json, sys
from dataclasses import replace
import eice_checks.engine as engine
from eice_checks.adapters import checkov_checks
from eice_checks.rules import CATALOG

# outside a checkov run (no runner on the stack): a FAILED result that says why, not an exception
check = next(c for c in checkov_checks.register() if c.id == "CKV2_EICE_2" and "aws_instance" in c.supported_entities)
result = check.run("/main.tf", {"__address__": "aws_instance.x"}, "x", "aws_instance", {})
print(json.dumps({"result": str(result["result"]), "details": check.details}))

# an analysis that cannot run (bad settings): kept, so that every resource fails with it
import pathlib, tempfile
bad = pathlib.Path(tempfile.mkdtemp())
(bad / "pyproject.toml").write_text('[tool.eice-checks]\nfail-on = "sometimes"\n')
print(json.dumps({"analysis": str(checkov_checks.analyse(checkov_checks.CheckovRun(str(bad), (str(bad),), ())))}))
sys.stdout.flush()

# a rule that crashes inside a real checkov run: that rule's resources fail and say so
def crash(analysis):
    raise RuntimeError("boom")
engine.CATALOG = tuple(replace(r, check=crash) if r.id == "EICE003" else r for r in CATALOG)
from checkov.main import Checkov
sys.exit(Checkov(sys.argv[1:]).run())
"""


def test_the_pack_never_raises(tmp_path):
    # in threads, as checkov runs its frameworks on macOS and Windows: one check object serves both
    folder = FIXTURES / "rules" / "EICE002"
    proc = run(str(BIN / "python"), "-c", NEVER_RAISES, "-d", ".", "--skip-download", "--external-checks-dir",
               pack_dir(), "--check", "CKV2_EICE_*", "--framework", "terraform", "cloudformation", "-o", "json",
               "--output-file-path", str(tmp_path), cwd=folder, CHECKOV_PARALLELIZATION_TYPE="thread")
    outside, settings = (json.loads(line) for line in proc.stdout.splitlines()[:2])
    assert outside["result"] == "CheckResult.FAILED"
    assert "internal error" in outside["details"][0] and "no checkov runner" in outside["details"][0]
    assert settings["analysis"].startswith("could not analyse ") and "fail-on must be one of" in settings["analysis"]
    assert "eice-checks: internal error in the Checkov pack (CKV2_EICE_2)" in proc.stderr
    found = results((tmp_path / "results_json.json").read_text())
    crashed = [r for r in found if r.check_id == "CKV2_EICE_3"]
    assert {r.file for r in crashed} == {"terraform/main.tf", "cloudformation/template.yaml"}
    assert {r.status for r in crashed} == {"FAILED"}
    assert all("could not run EICE003" in r.details[-1] and "RuntimeError: boom" in r.details[-1] for r in crashed)
    # the other rules still judge, each result with its own details
    assert {r.status for r in found if r.check_id == "CKV2_EICE_2"} == {"PASSED", "FAILED"}
    assert_same_findings([r for r in found if r.check_id != "CKV2_EICE_3"], scan(folder))
    assert proc.returncode == 1, proc.stderr


# -- suppressions in every convention (tests/fixtures/suppress) ------------------------------------
def test_every_suppression_is_skipped_with_its_reason():
    """Ours (comments, Metadata), checkov's own and cfn-lint's: SKIPPED with the reason, as the CLI
    suppresses them; the finding no suppression covers FAILED."""
    folder = FIXTURES / "suppress"
    proc = checkov("-d", ".", "--check", "CKV2_EICE_*", "--framework", "terraform", "cloudformation", "-o", "json",
                   cwd=folder)
    assert "Traceback" not in proc.stderr, proc.stderr
    skipped, failed = set(), set()
    for report in json.loads(proc.stdout):
        for record in report["results"]["skipped_checks"]:
            if record["check_id"] in OURS:
                skipped.add((OURS[record["check_id"]].id, record["resource"].rsplit(".", 1)[-1]
                             if report["check_type"] == "cloudformation" else record["resource"],
                             record["check_result"].get("suppress_comment")))
        failed |= {(OURS[r["check_id"]].id, r["resource"]) for r in report["results"]["failed_checks"]
                   if r["check_id"] in OURS}
    report = scan(folder)
    assert failed == {("EICE005", "aws_instance.open"), ("EICE005", "AWS::EC2::Instance.Open")}
    assert {(f.rule, f.resource) for f in report.findings} == {("EICE005", "aws_instance.open"), ("EICE005", "Open")}
    expected = {(s.finding.rule, s.finding.resource, s.reason or s.by[0].describe()) for s in report.suppressed}
    expected = {(r, res, c.replace("\x1b", "\\x1b").replace("\n", "\\n").replace("\u202e", "\\u202e"))
                for r, res, c in expected}  # escaped: reasons are user text
    assert skipped == expected
    assert ("EICE005", "CfnLint", "cfn-lint ignore_checks W9905") in skipped
    assert ("EICE005", "Hostile", "\\x1b[31mred\\n::error file=x::forged\\u202e") in skipped
    assert "\x1b" not in proc.stdout
