"""Mutation fuzzer over the repository's fixtures, for longer than CI runs it.

    python -m tests.fuzz --minutes 5 --seed 1          # from the repository root
    python -m tests.fuzz --cases 2000 --seed 7 --start 500
    python -m tests.fuzz --replay fuzz-failures/seed1-case42
    python -m tests.fuzz --with-hosts --minutes 10       # cfn-lint and checkov with our plugins too

Each failing case is saved under --failures (default: fuzz-failures/) as ``seed<S>-case<N>/``: the
folder as scanned (``input/``) and ``case.json`` (the fixture, the mutations, what went wrong).
``--replay`` scans a saved folder again, in this process and in a fresh interpreter. A case is also
rebuilt from its seed and index alone: ``--seed S --start N --cases 1``.
With --with-hosts, every case also goes to cfn-lint with our rules (the cases with a template) and
to checkov with our pack, --batch cases per host process (tests/fuzz/hosts.py); the hosts are
those of EICE_CFN_LINT_ENV / EICE_CHECKOV_ENV, or --cfn-lint / --checkov. A case failing in a
host is saved as ``seed<S>-case<N>-<host>/``; --replay of it runs that host again.
Exit status: 0 when no case failed, 1 otherwise.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .hosts import HOSTS, Tools, lints, run_batch, run_host
from .mutate import Case, fixture_files, make_case
from .runner import CASE_SECONDS, Outcome, check, judge, run_in_process, run_in_subprocess, save, write_case


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.replay:
        host = next((h for h in HOSTS if args.replay.rstrip("/").endswith(f"-{h}")), None)
        return _replay_host(Path(args.replay), host, _tools(args)) if host else _replay(Path(args.replay))
    return _fuzz(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--minutes", type=float, help="run for this long (default: 1 minute, unless --cases)")
    parser.add_argument("--cases", type=int, help="run this many cases")
    parser.add_argument("--start", type=int, default=0, help="index of the first case")
    parser.add_argument("--subprocess-every", type=int, default=25, metavar="N",
                        help="run every Nth case in a fresh interpreter instead of in-process (default: 25)")
    parser.add_argument("--timeout", type=float, default=CASE_SECONDS, help="seconds a case may take")
    parser.add_argument("--failures", default="fuzz-failures", help="where failing cases are saved")
    parser.add_argument("--replay", metavar="DIR", help="scan a saved case again and report")
    parser.add_argument("--with-hosts", action="store_true", help="also run the cases through cfn-lint and checkov")
    parser.add_argument("--batch", type=int, default=50, help="cases per host process (default: 50)")
    parser.add_argument("--cfn-lint", help="cfn-lint executable (default: EICE_CFN_LINT_ENV's)")
    parser.add_argument("--checkov", help="checkov executable (default: EICE_CHECKOV_ENV's)")
    return parser


def _tools(args: argparse.Namespace) -> Tools:
    found = Tools.from_environment()
    tools = Tools(args.cfn_lint or found.cfn_lint, args.checkov or found.checkov)
    if not tools.available():
        raise SystemExit("--with-hosts: name cfn-lint and checkov (--cfn-lint, --checkov, or EICE_CFN_LINT_ENV / EICE_CHECKOV_ENV)")
    return tools


def _run_hosts(batches: dict[str, list[Case]], tools: Tools, scratch: Path, failures: Path, size: int) -> int:
    """Run each host's batch when it holds ``size`` cases (any, with size 0); save the failing cases."""
    failed = 0
    for host, cases in batches.items():
        if not cases or len(cases) < size:
            continue
        result = run_batch(host, cases, scratch / f"host-{host}", tools)
        for index, problems in result.hosts_own.items():
            print(f"case {index}: {host} fails by itself, with no frame of ours (not counted): {problems[0][:200]}",
                  flush=True)
        for index, problems in result.ours.items():
            failed += 1
            case = next(c for c in cases if c.index == index)
            folder = scratch / f"replay-{index}"
            write_case(case, folder)
            saved = save(case, Outcome(None, "", "", 0.0, problems), failures, folder)
            target = saved.with_name(f"{saved.name}-{host}")
            shutil.rmtree(target, ignore_errors=True)
            saved.rename(target)
            shutil.rmtree(folder, ignore_errors=True)
            print(f"case {index} in {host}: {problems[0][:300]}\n    saved: {target}   "
                  f"replay: python -m tests.fuzz --replay {target}", flush=True)
        cases.clear()
    return failed


def _fuzz(args: argparse.Namespace) -> int:
    files = fixture_files()
    deadline = time.monotonic() + 60 * (args.minutes if args.minutes is not None else (0 if args.cases else 1))
    index, ran, failed = args.start, 0, 0
    tools = _tools(args) if args.with_hosts else None
    batches: dict[str, list[Case]] = {host: [] for host in (tools.available() if tools else [])}
    with tempfile.TemporaryDirectory(prefix="eice-fuzz-") as scratch:
        while (args.cases is None or ran < args.cases) and (args.cases is not None or time.monotonic() < deadline):
            case = make_case(args.seed, index, files)
            workdir = Path(scratch) / str(index)
            in_subprocess = args.subprocess_every > 0 and index % args.subprocess_every == 0
            outcome = check(case, workdir, in_subprocess, args.timeout)
            if outcome.problems:
                failed += 1
                saved = save(case, outcome, Path(args.failures), workdir)
                print(f"case {index} ({case.folder.name}: {', '.join(case.steps)}): {outcome.problems[0]}\n"
                      f"    saved: {saved}   replay: python -m tests.fuzz --replay {saved}", flush=True)
            shutil.rmtree(workdir, ignore_errors=True)
            for host in batches:
                if lints(host, case):
                    batches[host].append(case)
            if tools:
                failed += _run_hosts(batches, tools, Path(scratch), Path(args.failures), args.batch)
            index, ran = index + 1, ran + 1
            if ran % 200 == 0:
                print(f"{ran} cases, {failed} failed", flush=True)
        if tools:
            failed += _run_hosts(batches, tools, Path(scratch), Path(args.failures), 0)
    print(f"seed {args.seed}: {ran} cases (indexes {args.start}-{index - 1}), {failed} failed")
    return 1 if failed else 0


def _replay(saved: Path) -> int:
    folder = saved / "input" if (saved / "input").is_dir() else saved
    failed = False
    for name, run in (("in-process", run_in_process), ("subprocess", run_in_subprocess)):
        outcome: Outcome = run(folder)
        outcome.problems = judge(outcome)
        print(f"{name}: exit {outcome.code} in {outcome.seconds:.2f} s; "
              + ("; ".join(outcome.problems) if outcome.problems else "no problem"))
        failed |= bool(outcome.problems)
    return 1 if failed else 0


def _replay_host(saved: Path, host: str, tools: Tools) -> int:
    with tempfile.TemporaryDirectory(prefix="eice-fuzz-") as scratch:
        folder = Path(scratch) / "case"
        shutil.copytree(saved / "input", folder, symlinks=True)
        outcome = run_host(host, Path(scratch), [folder], tools, 600)
    print(f"{host}: exit {outcome.code}; " + ("; ".join(outcome.problems) if outcome.problems else "no problem"))
    return 1 if outcome.problems else 0


if __name__ == "__main__":
    sys.exit(main())
