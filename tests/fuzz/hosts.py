"""Fuzz cases through the hosts: cfn-lint with our rules, checkov with our pack.

The hosts start slowly (cfn-lint about a second, checkov several), so a batch of cases runs in one
host process: the cases' folders side by side under one directory, cfn-lint given every template
among them, checkov that directory. A batch fails when the host shows an exception that is ours
(an internal error of our rules or pack, a traceback through ``eice_checks``, cfn-lint's E0002 for
one of our rules), exits with a status the host never uses for findings, prints output its own
JSON format cannot be read from, or runs past its time limit. A failing batch is halved until the
failing cases are alone, so each is saved and replayed by itself.

The hosts fail on hostile input by themselves: checkov 3 raises on an integer of more than 4300
digits and on a resource ``Type`` that is a mapping, and with its default process pool a worker
that raises leaves checkov waiting forever. So checkov runs here with
``CHECKOV_PARALLELIZATION_TYPE=none`` (a crash is then an exit status and a traceback), and a
failure whose traceback has no frame of ours is the host's own: the batch is halved all the same
(so that the other cases are still run), and the case that fails alone is reported apart, as the
host's, never as ours.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from eice_checks.rules import CATALOG

from .mutate import Case
from .runner import write_case

HOSTS = ("cfn-lint", "checkov")
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
OUR_CFN_LINT_IDS = tuple(rule.cfn_lint_id for rule in CATALOG)
CFN_LINT_EXIT = {0, 2, 4, 6, 8, 10, 12, 14}  # bits: 2 errors, 4 warnings, 8 informational
CHECKOV_EXIT = {0, 1}
START_SECONDS = {"cfn-lint": 30.0, "checkov": 60.0}  # a host's own start, on a busy machine
CASE_SECONDS = 5.0  # what one case may add to a batch (tens of milliseconds each, when all is well)
PACK = str(Path(__file__).resolve().parent.parent.parent / "eice_checks" / "checkov_pack")


@dataclass
class Tools:
    cfn_lint: Optional[str] = None  # the cfn-lint executable (its environment has eice_checks), or None
    checkov: Optional[str] = None

    @classmethod
    def from_environment(cls) -> "Tools":
        """The hosts of EICE_CFN_LINT_ENV and EICE_CHECKOV_ENV (as .ci/run builds them)."""
        def executable(variable: str, name: str) -> Optional[str]:
            env = os.environ.get(variable)
            return str(Path(env) / "bin" / name) if env else None
        return cls(executable("EICE_CFN_LINT_ENV", "cfn-lint"), executable("EICE_CHECKOV_ENV", "checkov"))

    def available(self) -> list[str]:
        return [host for host, tool in zip(HOSTS, (self.cfn_lint, self.checkov)) if tool]


@dataclass
class HostOutcome:
    code: Optional[int]  # None: stopped at the time limit
    stdout: str
    stderr: str
    problems: list[str] = field(default_factory=list)  # ours
    hosts_own: list[str] = field(default_factory=list)  # the host failing with no frame of ours


def lints(host: str, case: Case) -> bool:
    """Whether a case is one for the host: cfn-lint reads templates only; checkov reads all."""
    return host == "checkov" or any(name.endswith(TEMPLATE_SUFFIXES) for name in case.mutated)


@dataclass
class BatchResult:
    ours: dict[int, list[str]] = field(default_factory=dict)  # case index -> what went wrong
    hosts_own: dict[int, list[str]] = field(default_factory=dict)  # case index -> the host's own failure

    def update(self, other: "BatchResult") -> None:
        self.ours.update(other.ours)
        self.hosts_own.update(other.hosts_own)


def run_batch(host: str, cases: list[Case], workdir: Path, tools: Tools) -> BatchResult:
    """Run ``cases`` in one host process; halve a failing batch down to the failing cases."""
    shutil.rmtree(workdir, ignore_errors=True)
    folders = [write_case(case, workdir / str(case.index)) for case in cases]
    outcome = run_host(host, workdir, folders, tools, START_SECONDS[host] + CASE_SECONDS * len(cases))
    shutil.rmtree(workdir, ignore_errors=True)
    result = BatchResult()
    if not outcome.problems and not outcome.hosts_own:
        return result
    if len(cases) == 1:
        if outcome.problems:
            result.ours[cases[0].index] = outcome.problems
        else:
            result.hosts_own[cases[0].index] = outcome.hosts_own
        return result
    half = len(cases) // 2
    result.update(run_batch(host, cases[:half], workdir, tools))
    result.update(run_batch(host, cases[half:], workdir, tools))
    if not result.ours and not result.hosts_own:  # fails only together: reported on the first case
        together = [f"with cases {[c.index for c in cases]}: {p}" for p in outcome.problems or outcome.hosts_own]
        (result.ours if outcome.problems else result.hosts_own)[cases[0].index] = together
    return result


def run_host(host: str, workdir: Path, folders: list[Path], tools: Tools, timeout: float) -> HostOutcome:
    if host == "cfn-lint":
        files = sorted(str(p.relative_to(workdir)) for folder in folders for p in folder.rglob("*")
                       if p.is_file() and p.name.endswith(TEMPLATE_SUFFIXES))
        command = [str(tools.cfn_lint), "--format", "json", "--append-rules=eice_checks.cfn_lint", "--", *files]
    else:
        command = [str(tools.checkov), "-d", ".", "--framework", "terraform", "terraform_plan", "cloudformation",
                   "--skip-download", "--external-checks-dir", PACK, "-o", "json", "--quiet"]
    env = {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE",
           "CHECKOV_PARALLELIZATION_TYPE": "none"}
    try:
        proc = subprocess.run(command, cwd=workdir, env=env, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return HostOutcome(None, "", "", [f"{host}: no result within {timeout:.0f} s"])
    outcome = HostOutcome(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))
    problems = judge(host, outcome)
    if problems and all(p.startswith(f"{host}: exit status") for p in problems) and _hosts_own(outcome.stderr):
        outcome.hosts_own = problems
    else:
        outcome.problems = problems
    return outcome


def _hosts_own(stderr: str) -> bool:
    """A traceback of the host's that has no frame of ours."""
    return "Traceback" in stderr and "eice_checks" not in stderr[stderr.index("Traceback"):]


def judge(host: str, outcome: HostOutcome) -> list[str]:
    """What is wrong with one host run, as far as it concerns us (see the module's docstring)."""
    problems = []
    for stream in (outcome.stderr, outcome.stdout):
        if "internal error" in stream:
            at = stream.index("internal error")
            problems.append(f"{host}: {stream[max(0, at - 100):at + 300].strip()}")
        if "Traceback" in stream and "eice_checks" in stream[stream.index("Traceback"):]:
            problems.append(f"{host}: traceback through eice_checks: {stream[stream.index('Traceback'):][-600:]}")
    if outcome.code not in (CFN_LINT_EXIT if host == "cfn-lint" else CHECKOV_EXIT):
        problems.append(f"{host}: exit status {outcome.code}: {outcome.stderr.strip()[-300:]}")
    try:
        report = json.loads(outcome.stdout) if outcome.stdout.strip() else []
    except ValueError:
        return problems + [f"{host}: output is not JSON: {outcome.stdout[:200]!r}"]
    if host == "cfn-lint":
        for match in report if isinstance(report, list) else []:
            if match.get("Rule", {}).get("Id") == "E0002" and any(i in match.get("Message", "") for i in OUR_CFN_LINT_IDS):
                problems.append(f"cfn-lint: one of our rules raised: {match['Filename']}: {match['Message'][:300]}")
    elif not isinstance(report, (list, dict)):
        problems.append(f"checkov: not a report: {str(report)[:200]}")
    return problems
