#!/usr/bin/env python3
"""Run the eice-checks CLI over other people's code and flag what must never happen.

    python scripts/corpus.py DIR [DIR ...] [--time-limit 60] [--show errors|findings] [--save OUT]

Each DIR is scanned by ``python -m eice_checks --format json DIR`` in a fresh interpreter (the
eice_checks of this checkout), as a user's CI would run it on a repository it has never seen. One
line per DIR: the source files found (``.tf`` and ``.yaml``/``.yml``/``.json``/``.template``, read
or not), the time, the exit status, the entries under ``errors`` (files that could not be read) and
the findings per rule. A DIR is flagged when its run shows a traceback or an internal error, exits
other than 0 or 1, prints output that is not the JSON contract, or takes longer than --time-limit.

``--show errors`` prints each error entry, ``--show findings`` each finding (for review);
``--save OUT`` writes each DIR's JSON report to ``OUT/<n>-<name>.json``. ``--cross-check`` asks, for
each file that could not be parsed, whether the tool that owns the format rejects it too:
``terraform fmt`` for a ``.tf`` file, cfn-lint (its error codes, E0000 meaning it cannot parse the
file either) for a template; --terraform and --cfn-lint name them (default: those on PATH).
Exit status: 0 when no DIR was flagged, 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from eice_checks.scan import discover  # noqa: E402
from tests.fuzz.runner import contract_problems  # noqa: E402  (the JSON contract, judged in one place)


@dataclass
class Run:
    directory: str
    files: int
    seconds: float
    code: Optional[int]  # None: stopped at the time limit
    report: Optional[dict[str, Any]]
    stderr: str
    flags: list[str] = field(default_factory=list)

    @property
    def findings(self) -> Counter[str]:
        return Counter(f["rule"] for f in (self.report or {}).get("findings", []))

    @property
    def errors(self) -> int:
        return len((self.report or {}).get("errors", []))


def count_sources(directory: str) -> int:
    """Files the scan considers by their name (whether they turn out to be templates or not)."""
    sources = discover([directory])
    return len(sources.templates) + sum(len(files) for files in sources.modules.values())


def scan(directory: str, time_limit: float, python: str) -> Run:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    started = time.perf_counter()
    try:
        proc = subprocess.run([python, "-m", "eice_checks", "--format", "json", directory], env=env,
                              capture_output=True, text=True, errors="replace", timeout=time_limit)
    except subprocess.TimeoutExpired:
        return Run(directory, count_sources(directory), time.perf_counter() - started, None, None, "",
                   [f"no result within {time_limit:.0f} s"])
    seconds = time.perf_counter() - started
    run = Run(directory, count_sources(directory), seconds, proc.returncode, None, proc.stderr)
    run.flags = judge(proc.returncode, proc.stdout, proc.stderr)
    try:
        run.report = json.loads(proc.stdout)
    except ValueError:
        pass
    return run


def judge(code: int, stdout: str, stderr: str) -> list[str]:
    flags = []
    if "Traceback" in stderr or "internal error" in stderr:
        flags.append("stderr: " + stderr.strip()[-300:])
    if code not in (0, 1):
        flags.append(f"exit status {code}")
    try:
        report = json.loads(stdout)
    except ValueError:
        return flags + [f"output is not JSON: {stdout[:120]!r}"]
    return flags + contract_problems(report)


_NOT_PARSE_ERRORS = ("skipped:", "module.", "its source", "module cycle")


def cross_check(entry: dict[str, Any], terraform: str, cfn_lint: str) -> str:
    """Whether ``terraform fmt`` (a .tf file) or cfn-lint (a template) also rejects an unparsable file."""
    path, message = entry["file"], entry["message"]
    if message.startswith(_NOT_PARSE_ERRORS):
        return "not a parse error"
    if path.endswith(".tf"):
        proc = subprocess.run([terraform, "fmt", "-write=false", "-list=false", "-no-color", path],
                              capture_output=True, text=True, errors="replace")
        if proc.returncode == 0:
            return "terraform fmt ACCEPTS it"
        error = next((l.strip("│ ").strip() for l in proc.stderr.splitlines() if "Error:" in l), "")
        return f"terraform fmt rejects it too ({error})"
    proc = subprocess.run([cfn_lint, "--format", "parseable", "--", path], capture_output=True, text=True,
                          errors="replace")
    codes = sorted({l.split(":")[5] for l in proc.stdout.splitlines() if l.count(":") >= 6 and l.split(":")[5][:1] == "E"})
    if not codes:
        return "cfn-lint ACCEPTS it (no error)"
    return f"cfn-lint rejects it too ({', '.join(codes)}{': cannot parse it' if 'E0000' in codes else ''})"


def line(run: Run) -> str:
    rules = " ".join(f"{rule}:{n}" for rule, n in sorted(run.findings.items())) or "-"
    code = "-" if run.code is None else str(run.code)
    status = "FLAGGED " + "; ".join(run.flags) if run.flags else "ok"
    return f"{run.directory}  files={run.files}  {run.seconds:.2f}s  exit={code}  errors={run.errors}  findings={rules}  {status}"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directories", nargs="+", metavar="DIR")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds one DIR may take (default: 60)")
    parser.add_argument("--show", choices=("errors", "findings"), action="append", default=[])
    parser.add_argument("--save", metavar="OUT", help="write each DIR's JSON report into this folder")
    parser.add_argument("--python", default=sys.executable, help="interpreter that runs the CLI")
    parser.add_argument("--cross-check", action="store_true", help="ask terraform fmt / cfn-lint about each parse error")
    parser.add_argument("--terraform", default=shutil.which("terraform") or "terraform")
    parser.add_argument("--cfn-lint", default=shutil.which("cfn-lint") or "cfn-lint")
    args = parser.parse_args(argv)
    runs = []
    for number, directory in enumerate(args.directories):
        run = scan(directory, args.time_limit, args.python)
        runs.append(run)
        print(line(run), flush=True)
        for entry in (run.report or {}).get("errors", []) if "errors" in args.show or args.cross_check else []:
            print(f"    error  {entry['file']}:{entry.get('line', '-')}  {entry['message']}")
            if args.cross_check:
                print(f"           {cross_check(entry, args.terraform, args.cfn_lint)}", flush=True)
        for entry in (run.report or {}).get("findings", []) if "findings" in args.show else []:
            print(f"    {entry['rule']}  {entry['file']}:{entry['line']}  {entry['resource']}")
        if args.save and run.report is not None:
            Path(args.save).mkdir(parents=True, exist_ok=True)
            name = Path(directory).resolve().name or "root"
            (Path(args.save) / f"{number:03d}-{name}.json").write_text(json.dumps(run.report, indent=1) + "\n")
    total: Counter[str] = sum((run.findings for run in runs), Counter())
    flagged = [run for run in runs if run.flags]
    print(f"summary: {len(runs)} directories, {sum(run.files for run in runs)} files, "
          f"{sum(run.seconds for run in runs):.1f} s, {sum(run.errors for run in runs)} errors, "
          f"{sum(total.values())} findings ({' '.join(f'{r}:{n}' for r, n in sorted(total.items())) or 'none'}), "
          f"slowest {max(run.seconds for run in runs):.2f} s, {len(flagged)} flagged")
    return 1 if flagged else 0


if __name__ == "__main__":
    sys.exit(main())
