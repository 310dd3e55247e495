"""The GitHub Action (action.yml): its steps run in a shell as an Actions runner runs a composite
action's steps (bash -e -o pipefail, the GITHUB_* variables and files it sets, ``${{ }}``
expressions substituted), against a copy of the examples; and the README's workflow, as written.

The install step pip-installs the action's checkout, offline from the wheelhouse .ci/run builds
(EICE_WHEELHOUSE); without it the tests skip locally, and fail under CI.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml


ROOT = Path(__file__).resolve().parent.parent
WHEELHOUSE = os.environ.get("EICE_WHEELHOUSE")
if not WHEELHOUSE or not Path(WHEELHOUSE).is_dir():
    if os.environ.get("CI"):
        pytest.fail("EICE_WHEELHOUSE is not set: .ci/run must build the wheelhouse", pytrace=False)
    pytest.skip("EICE_WHEELHOUSE is not set (set by .ci/run)", allow_module_level=True)

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
_EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


def substitute(text: str, context: dict[str, str]) -> str:
    """The ``${{ }}`` expressions the action uses; any other fails the test (the runner would need it)."""
    def value(match: re.Match) -> str:
        name = match.group(1)
        assert name in context, f"expression not supported by this test: {name}"
        return context[name]
    return _EXPRESSION.sub(value, text)


class Runner:
    """One job: a workspace, RUNNER_TEMP (the installed venv is kept between runs), the files."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.temp = base / "runner-temp"
        self.temp.mkdir(exist_ok=True)

    def run(self, workspace: Path, inputs: dict[str, str]) -> tuple[int, str, dict[str, str], str]:
        """(exit status, stdout, outputs, step summary) of the action with ``inputs``."""
        given = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
        assert set(inputs) <= set(given), f"no such inputs: {set(inputs) - set(given)}"
        given.update(inputs)
        files = {name: self.base / f"{name}.txt" for name in ("output", "summary", "env", "path")}
        for path in files.values():
            path.write_text("")
        env = {**{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "VIRTUAL_ENV", "PYTHON"))},
               "CI": "true", "GITHUB_ACTIONS": "true", "RUNNER_OS": "Linux", "RUNNER_TEMP": str(self.temp),
               "GITHUB_WORKSPACE": str(workspace), "GITHUB_ACTION_PATH": str(ROOT),
               "GITHUB_OUTPUT": str(files["output"]), "GITHUB_STEP_SUMMARY": str(files["summary"]),
               "GITHUB_ENV": str(files["env"]), "GITHUB_PATH": str(files["path"]),
               "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": WHEELHOUSE, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        context = {f"inputs.{name}": value for name, value in given.items()}
        context["github.action_path"] = str(ROOT)
        stdout, status = "", 0
        for step in ACTION["runs"]["steps"]:
            assert step["shell"] == "bash" and "uses" not in step and "if" not in step
            if step["name"] == "Install eice-checks" and (self.temp / "eice-checks-venv" / "bin" / "eice-checks").exists():
                continue  # installed by an earlier run of this job
            step_env = {**env, **{k: substitute(str(v), context) for k, v in step.get("env", {}).items()}}
            assert "${{" not in step["run"], "inputs reach the script through env only"
            proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                                  cwd=workspace, env=step_env, capture_output=True, text=True, timeout=600)
            stdout += proc.stdout
            assert "Traceback" not in proc.stderr, proc.stderr
            status = proc.returncode
            if status != 0:
                stdout += proc.stderr
                break
        outputs = dict(line.split("=", 1) for line in files["output"].read_text().splitlines() if "=" in line)
        return status, stdout, outputs, files["summary"].read_text()


@pytest.fixture(scope="module")
def runner(tmp_path_factory) -> Runner:
    return Runner(tmp_path_factory.mktemp("runner"))


@pytest.fixture()
def workspace(tmp_path) -> Path:
    shutil.copytree(ROOT / "examples", tmp_path / "repo")
    return tmp_path / "repo"


def test_annotations(runner, workspace):
    status, stdout, outputs, summary = runner.run(workspace, {})
    assert status == 1, stdout  # the examples hold errors
    assert outputs == {"findings": "4"}
    commands = [line for line in stdout.splitlines() if line.startswith("::")]
    assert [c.split("::", 2)[1] for c in commands] == [
        "warning file=cloudformation/eice.yaml,line=61,title=EICE005",
        "error file=cloudformation/eice.yaml,line=81,title=EICE003",
        "notice file=terraform/main.tf,line=34,col=1,title=EICE007",
        "error file=terraform/main.tf,line=48,col=5,title=EICE003"]
    assert summary.startswith("## eice-checks\n")  # summary defaults to true


def test_sarif_file_and_fail_on(runner, workspace):
    (workspace / "out").mkdir()
    status, stdout, outputs, _ = runner.run(workspace, {"format": "sarif", "fail-on": "never",
                                                        "sarif-file": "out/eice.sarif", "paths": "terraform"})
    assert status == 0, stdout
    assert outputs == {"findings": "2", "sarif-file": "out/eice.sarif"}
    assert not [line for line in stdout.splitlines() if line.startswith("::")]
    sarif = json.loads((workspace / "out" / "eice.sarif").read_text())
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
            for r in sarif["runs"][0]["results"]] == [("EICE007", 34), ("EICE003", 48)]


def test_paths_are_data_not_script(runner, workspace):
    status, stdout, outputs, _ = runner.run(workspace, {"paths": "terraform\ncloudformation/eice.yaml $(touch pwned) `touch pwned2` *"})
    assert status == 2  # '$(touch', 'pwned)', ... are paths that do not exist: a usage error
    assert not (workspace / "pwned").exists() and not (workspace / "pwned2").exists()
    status, stdout, outputs, _ = runner.run(workspace, {"format": "xml"})
    assert status == 2 and "::error title=eice-checks::format must be github or sarif" in stdout


def test_step_summary(runner, workspace):
    status, stdout, outputs, summary = runner.run(workspace, {"summary": "true", "fail-on": "never"})
    assert status == 0, stdout
    assert summary.startswith("## eice-checks\n")
    rows = [line.split(" | ")[:3] for line in summary.splitlines() if line.startswith("| EICE")]
    assert rows == [
        ["| EICE005 admin-port-open-to-world", "warning", "Linux"],
        ["| EICE003 cidr-preservation-mismatch", "error", "Windows"],
        ["| EICE007 preservation-implicit", "info", "aws\\_ec2\\_instance\\_connect\\_endpoint.this"],
        ["| EICE003 cidr-preservation-mismatch", "error", "aws\\_instance.app"],
    ]
    assert summary.count("```mermaid") == 2  # a diagram per endpoint


def test_no_step_summary_unless_asked(runner, workspace):
    status, stdout, outputs, summary = runner.run(workspace, {"summary": "false"})
    assert status == 1 and summary == "", stdout


# -- the README's workflow, as written ---------------------------------------------------------------
def readme_workflow() -> dict[str, Any]:
    readme = (ROOT / "README.md").read_text()
    text = re.search(r"(?ms)^```yaml\n(# \.github/workflows/eice-checks\.yml\n.*?)^```", readme).group(1)
    return yaml.safe_load(text)


def test_readme_workflow_uses_the_action_and_its_inputs(runner, workspace):
    workflow = readme_workflow()
    jobs = workflow["jobs"]
    ours = [(job, step) for job, spec in jobs.items() for step in spec["steps"]
            if str(step.get("uses", "")).startswith("<this repository>@")]
    assert {job for job, _ in ours} == {"annotations", "code-scanning"}
    for job, step in ours:
        inputs = {k: str(v) for k, v in step.get("with", {}).items()}
        status, stdout, outputs, _ = runner.run(workspace, inputs)
        assert status == 1 and outputs["findings"] == "4", stdout  # the examples hold errors
        if inputs.get("format") == "sarif":
            upload = next(s for s in jobs[job]["steps"] if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif"))
            assert upload["if"] == "always()"  # the findings fail the step; the upload must still run
            sarif_file = upload["with"]["sarif_file"]
            assert sarif_file == "${{ steps.eice.outputs.sarif-file }}" and step["id"] == "eice"
            assert json.loads((workspace / outputs["sarif-file"]).read_text())["version"] == "2.1.0"
            assert jobs[job]["permissions"]["security-events"] == "write"


def _host_command(job: str) -> str:
    (step,) = [s for s in readme_workflow()["jobs"][job]["steps"] if "run" in s]
    return step["run"]


@pytest.mark.parametrize("job, env_name", [("cfn-lint", "EICE_CFN_LINT_ENV"), ("checkov", "EICE_CHECKOV_ENV")])
def test_readme_workflow_host_jobs(job, env_name, workspace):
    """The jobs' commands, as written, in the environment of the host (the pip install line aside)."""
    env_dir = os.environ.get(env_name)
    if not env_dir:
        if os.environ.get("CI"):
            pytest.fail(f"{env_name} is not set", pytrace=False)
        pytest.skip(f"{env_name} is not set")
    lines = [line for line in _host_command(job).splitlines() if line.strip()]
    assert lines[0].startswith("pip install 'eice-checks[")
    env = {**os.environ, "PATH": f"{Path(env_dir) / 'bin'}{os.pathsep}{os.environ['PATH']}",
           "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE"}
    proc = subprocess.run(["bash", "-eo", "pipefail", "-c", "\n".join(lines[1:])], cwd=workspace, env=env,
                          capture_output=True, text=True, timeout=600)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode != 0, proc.stdout  # the examples' findings fail the job
    if job == "cfn-lint":
        assert "cloudformation/eice.yaml:81:11:81:17:E9903:Windows (instance) admits tcp 3389" in proc.stdout
    else:
        assert "FAILED for resource: aws_instance.app" in proc.stdout and "CKV2_EICE_3" in proc.stdout
