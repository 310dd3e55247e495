"""The pre-commit hooks (.pre-commit-hooks.yaml), run by the real pre-commit against a throwaway git
repository: once with a broken commit (the hook fails and prints the finding), once with it fixed
(the hook passes); and the README's .pre-commit-config.yaml, as written.

The hook environments are made by pip, offline: .ci/run builds a wheelhouse of eice-checks' and
the hosts' dependencies (EICE_WHEELHOUSE), and pip installs from it only. Without pre-commit or the
wheelhouse the tests skip locally, and fail under CI.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WHEELHOUSE = os.environ.get("EICE_WHEELHOUSE")
PRE_COMMIT = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: .ci/run must provide it", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


if not PRE_COMMIT:
    _unavailable("pre-commit is not installed (the test extra brings it)")
if not WHEELHOUSE or not Path(WHEELHOUSE).is_dir():
    _unavailable("EICE_WHEELHOUSE is not set (set by .ci/run)")

BROKEN = {"main.tf": (ROOT / "examples" / "terraform" / "main.tf").read_text(),
          "template.yaml": (ROOT / "examples" / "cloudformation" / "eice.yaml").read_text()}


def fixed() -> dict[str, str]:
    """The examples with their mistakes fixed as the findings say."""
    tf = BROKEN["main.tf"].replace("  security_group_ids = [aws_security_group.eice.id]\n}",
                                   "  security_group_ids = [aws_security_group.eice.id]\n  preserve_client_ip = false\n}", 1)
    template = re.sub(r"  LinuxSshFromAnywhere:.*?CidrIp: 0\.0\.0\.0/0\n", "", BROKEN["template.yaml"], flags=re.S)
    template = template.replace("CidrIp: 198.51.100.0/24", "CidrIp: !GetAtt Vpc.CidrBlock")
    assert tf != BROKEN["main.tf"] and template != BROKEN["template.yaml"]
    return {"main.tf": tf, "template.yaml": template}


@pytest.fixture(scope="module")
def environment(tmp_path_factory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("pre-commit-home")  # hook environments, shared by the tests here
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": WHEELHOUSE,
           "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_COMPILE": "1", "VIRTUALENV_NO_PERIODIC_UPDATE": "1",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "NO_COLOR": "1", "TERM": "dumb"}
    for name in ("PYTHONPATH", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV"):
        env.pop(name, None)
    return env


def git(*args: str, cwd: Path, env: dict[str, str]) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True, timeout=60)


def commit(repo: Path, files: dict[str, str], env: dict[str, str], message: str) -> None:
    for name, text in files.items():
        (repo / name).write_text(text)
    git("add", "-A", cwd=repo, env=env)
    git("commit", "-q", "-m", message, cwd=repo, env=env)


def pre_commit(*args: str, repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    proc = subprocess.run([PRE_COMMIT, *args], cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return proc


def throwaway(tmp_path: Path, env: dict[str, str]) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git("init", "-q", cwd=repo, env=env)
    commit(repo, BROKEN, env, "broken")
    return repo


# (hook, what its output must hold on the broken commit): the exact findings, file and line
HOOKS = {
    "eice-checks": [
        "main.tf\n", "    48  error    EICE003  aws_instance.app\n",
        "template.yaml\n", "    81  error    EICE003  Windows\n", "    61  warning  EICE005  Linux\n",
    ],
    "eice-checks-cfn-lint": [
        "W9905 Linux (instance) is reached through Endpoint, yet LinuxSshFromAnywhere", "template.yaml:61:",
        "E9903 Windows (instance) admits tcp 3389 from 198.51.100.0/24", "template.yaml:81:",
    ],
    "eice-checks-checkov": [
        'Check: CKV2_EICE_3: "', "FAILED for resource: aws_instance.app", "Details: /main.tf:48: aws_instance.app",
        "FAILED for resource: AWS::EC2::Instance.Windows", "Details: /template.yaml:81: Windows",
        'Check: CKV2_EICE_5: "', "Details: /template.yaml:61: Linux",
    ],
}


def _shown(proc: subprocess.CompletedProcess) -> str:
    return proc.stdout + proc.stderr


@pytest.mark.parametrize("hook", list(HOOKS))
def test_hook_fails_on_the_broken_commit_and_passes_on_the_fixed_one(hook, tmp_path, environment):
    repo = throwaway(tmp_path, environment)
    proc = pre_commit("try-repo", str(ROOT), hook, "--all-files", "--verbose", repo=repo, env=environment)
    output = _shown(proc)
    assert proc.returncode == 1, output
    assert re.search(r"(?m)\.{3,}Failed$", output), output
    for expected in HOOKS[hook]:
        assert expected in output, f"{expected!r} not in:\n{output}"
    commit(repo, fixed(), environment, "fixed")
    proc = pre_commit("try-repo", str(ROOT), hook, "--all-files", repo=repo, env=environment)
    assert proc.returncode == 0, _shown(proc)
    assert re.search(r"(?m)\.{3,}Passed$", _shown(proc)), _shown(proc)


def readme_config() -> str:
    readme = (ROOT / "README.md").read_text()
    return re.search(r"(?ms)^```yaml\n(# \.pre-commit-config\.yaml\n.*?)^```", readme).group(1)


def test_the_readme_config_as_written(tmp_path, environment):
    config = readme_config()
    assert {"id: eice-checks\n", "id: eice-checks-cfn-lint\n", "id: eice-checks-checkov\n"} <= {
        line.split("- ", 1)[-1] + "\n" for line in config.splitlines()}
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    assert "<this repository>" in config and "<tag>" in config
    repo = throwaway(tmp_path, environment)
    commit(repo, {".pre-commit-config.yaml": config.replace("<this repository>", str(ROOT)).replace("<tag>", head)},
           environment, "hooks")
    proc = pre_commit("run", "--all-files", repo=repo, env=environment)
    output = _shown(proc)
    assert proc.returncode == 1, output
    assert len(re.findall(r"(?m)\.{3,}Failed$", output)) == 3, output  # the config itself is no template
    assert "E9903 Windows" in output and "FAILED for resource: aws_instance.app" in output
    commit(repo, fixed(), environment, "fixed")
    proc = pre_commit("run", "--all-files", repo=repo, env=environment)
    assert proc.returncode == 0, _shown(proc)
    assert len(re.findall(r"(?m)\.{3,}Passed$", _shown(proc))) == 3, _shown(proc)
