#!/usr/bin/env python3
"""Benchmark: what our rules add to a cfn-lint run.

Generates bench.py's CloudFormation templates (--size of them, 200 by default) and times cfn-lint
on all of them, alone and with ``--append-rules=eice_checks.cfn_lint``, alternately, best of
--repeat; prints both times and their ratio (the issue asks for at most 1.10). cfn-lint is the one
on PATH, or --cfn-lint; it must be able to import eice_checks.

usage: python benchmarks/cfn_lint_overhead.py [--size 200] [--repeat 3] [--cfn-lint PATH]
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import generate  # noqa: E402  (the same templates as the engine's own benchmark)


def time_run(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cfn-lint", default=shutil.which("cfn-lint") or "cfn-lint")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), args.size)
        folder = Path(tmp) / "cloudformation"
        templates = sorted(p.name for p in folder.glob("*.yaml"))
        alone = [args.cfn_lint, "--", *templates]
        ours = [args.cfn_lint, "--append-rules=eice_checks.cfn_lint", "--", *templates]
        best = {"alone": float("inf"), "ours": float("inf")}
        for _ in range(args.repeat):
            best["alone"] = min(best["alone"], time_run(alone, folder))
            best["ours"] = min(best["ours"], time_run(ours, folder))
    print(f"{args.size} templates, best of {args.repeat}: cfn-lint alone {best['alone']:.2f} s, "
          f"with eice-checks {best['ours']:.2f} s, ratio {best['ours'] / best['alone']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
