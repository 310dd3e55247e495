"""Run fuzz cases through the CLI (in this process, or in a fresh interpreter) and judge the result
against the contract: no internal error and no traceback, no hang, JSON that follows DESIGN.md,
exit status 0 or 1 (2 only when none of the files found could be read)."""
from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional

from .mutate import FIXTURES, Case

REPO = FIXTURES.parent.parent
CASE_SECONDS = 10.0  # far above any case (tens of milliseconds): only a hang or a blow-up gets there
SUBPROCESS_MEMORY = 1 << 30  # address space of a subprocess case: a runaway allocation fails there
MAX_MESSAGE = 600  # characters: messages quote short excerpts, never a file's content
_SEVERITIES = {"error", "warning", "info"}
NOTHING_READ = "none of the files found could be read"


@dataclass
class Outcome:
    code: Optional[int]
    stdout: str
    stderr: str
    seconds: float
    problems: list[str] = field(default_factory=list)


class CaseTimeout(BaseException):
    """Raised by the alarm in a case that runs too long; a BaseException, so that the CLI's own
    ``except Exception`` (which turns bugs into one line) does not swallow it."""


def write_case(case: Case, into: Path) -> Path:
    """The case's folder copied below ``into`` (under its fixture name), with its mutated files."""
    target = into / case.folder.relative_to(FIXTURES)
    shutil.copytree(case.folder, target, symlinks=True)
    for relative, data in case.mutated.items():
        (target / relative).write_bytes(data)
    return target


def run_in_process(folder: Path, timeout: float = CASE_SECONDS) -> Outcome:
    from eice_checks.adapters.cli import main

    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    code: Optional[int] = None
    try:
        with _chdir(folder), _alarm(timeout), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["--format", "json", "."])
    except CaseTimeout:
        pass
    except BaseException as exc:  # noqa: BLE001 - anything escaping main() is a finding of the fuzzer
        err.write(f"main() raised {type(exc).__name__}: {exc}\n")
        code = -1
    return Outcome(code, out.getvalue(), err.getvalue(), time.perf_counter() - started)


def run_in_subprocess(folder: Path, timeout: float = CASE_SECONDS) -> Outcome:
    """A fresh interpreter, as CI runs it: catches what only shows on stderr (a traceback at exit)."""
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    started = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "eice_checks", "--format", "json", "."], cwd=folder, env=env,
                              capture_output=True, timeout=timeout, preexec_fn=_limit_memory)
    except subprocess.TimeoutExpired as exc:
        return Outcome(None, _text(exc.stdout), _text(exc.stderr), time.perf_counter() - started)
    return Outcome(proc.returncode, _text(proc.stdout), _text(proc.stderr), time.perf_counter() - started)


def judge(outcome: Outcome, timeout: float = CASE_SECONDS) -> list[str]:
    """What is wrong with a case's outcome (nothing: an empty list)."""
    if outcome.code is None:
        return [f"no result within {timeout:.0f} s"]
    problems = []
    if "Traceback" in outcome.stderr or "internal error" in outcome.stderr:
        problems.append(f"stderr: {outcome.stderr.strip()[-400:]}")
    if outcome.code not in (0, 1) and not (outcome.code == 2 and NOTHING_READ in outcome.stderr):
        problems.append(f"exit status {outcome.code}")
    try:
        report = json.loads(outcome.stdout)
    except ValueError:
        return problems + [f"output is not JSON: {outcome.stdout[:200]!r}"]
    return problems + contract_problems(report)


def contract_problems(report: Any) -> list[str]:
    # "suppressed" (findings a suppression in the sources covers) is an addition, present when not empty
    required, additions = {"version", "findings", "errors"}, {"suppressed"}
    if not isinstance(report, dict) or not required <= set(report) <= required | additions or report["version"] != 1:
        return [f"not the JSON contract: {str(report)[:200]}"]
    problems = [f"finding: {finding}" for finding in report["findings"] if not _finding_ok(finding)]
    problems += [f"suppressed: {str(entry)[:300]}" for entry in report.get("suppressed", [])
                 if not (isinstance(entry, dict) and isinstance(entry.get("reason"), str)
                         and _finding_ok({k: v for k, v in entry.items() if k not in ("reason", "suppressions")}))]
    for error in report["errors"]:
        if not _error_ok(error):
            problems.append(f"error entry: {str(error)[:300]}")
        elif "internal error" in error["message"]:
            problems.append(f"internal error: {error['file']}: {error['message'][:300]}")
        elif len(error["message"]) > MAX_MESSAGE:
            problems.append(f"message of {len(error['message'])} characters: {error['message'][:200]}...")
    return problems


def check(case: Case, workdir: Path, in_subprocess: bool = False, timeout: float = CASE_SECONDS) -> Outcome:
    folder = write_case(case, workdir)
    outcome = (run_in_subprocess if in_subprocess else run_in_process)(folder, timeout)
    outcome.problems = judge(outcome, timeout)
    return outcome


def save(case: Case, outcome: Outcome, failures: Path, workdir: Path) -> Path:
    """Keep a failing case for replay: its folder as run, and what went wrong."""
    name = f"seed{case.seed}-case{case.index}"
    target = failures / name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(workdir / case.folder.relative_to(FIXTURES), target / "input", symlinks=True)
    record = {"seed": case.seed, "index": case.index, "fixture": case.folder.relative_to(FIXTURES).as_posix(),
              "mutated": sorted(case.mutated), "steps": case.steps, "exit": outcome.code,
              "seconds": round(outcome.seconds, 3), "problems": outcome.problems, "stderr": outcome.stderr[-2000:]}
    (target / "case.json").write_text(json.dumps(record, indent=2) + "\n")
    return target


def _finding_ok(finding: Any) -> bool:
    return (isinstance(finding, dict) and isinstance(finding.get("rule"), str)
            and finding.get("severity") in _SEVERITIES and isinstance(finding.get("file"), str)
            and _is_line(finding.get("line")) and isinstance(finding.get("resource"), str)
            and isinstance(finding.get("message"), str) and isinstance(finding.get("related"), list))


def _error_ok(error: Any) -> bool:
    return (isinstance(error, dict) and isinstance(error.get("file"), str) and isinstance(error.get("message"), str)
            and ("line" not in error or _is_line(error["line"])))


def _is_line(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


@contextlib.contextmanager
def _chdir(folder: Path) -> Iterator[None]:
    previous = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def expired(_signum: int, _frame: Any) -> None:
        raise CaseTimeout()

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (SUBPROCESS_MEMORY, SUBPROCESS_MEMORY))


def _text(data: Optional[bytes]) -> str:
    return (data or b"").decode("utf-8", "replace")
