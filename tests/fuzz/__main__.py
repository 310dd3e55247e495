"""Mutation fuzzer over the repository's fixtures, for longer than CI runs it.

    python -m tests.fuzz --minutes 5 --seed 1          # from the repository root
    python -m tests.fuzz --cases 2000 --seed 7 --start 500
    python -m tests.fuzz --replay fuzz-failures/seed1-case42

Each failing case is saved under --failures (default: fuzz-failures/) as ``seed<S>-case<N>/``: the
folder as scanned (``input/``) and ``case.json`` (the fixture, the mutations, what went wrong).
``--replay`` scans a saved folder again, in this process and in a fresh interpreter. A case is also
rebuilt from its seed and index alone: ``--seed S --start N --cases 1``.
Exit status: 0 when no case failed, 1 otherwise.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .mutate import fixture_files, make_case
from .runner import CASE_SECONDS, Outcome, check, judge, run_in_process, run_in_subprocess, save


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.replay:
        return _replay(Path(args.replay))
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
    return parser


def _fuzz(args: argparse.Namespace) -> int:
    files = fixture_files()
    deadline = time.monotonic() + 60 * (args.minutes if args.minutes is not None else (0 if args.cases else 1))
    index, ran, failed = args.start, 0, 0
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
            index, ran = index + 1, ran + 1
            if ran % 200 == 0:
                print(f"{ran} cases, {failed} failed", flush=True)
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


if __name__ == "__main__":
    sys.exit(main())
