#!/usr/bin/env python3
"""Benchmark: what our plugins add to their hosts' runs.

Generates bench.py's tree (--size CloudFormation templates and --size Terraform root modules that
call local modules, one with for_each) and times, alternately and best of --repeat:

- cfn-lint on all the templates, alone and with ``--append-rules=eice_checks.cfn_lint``;
- checkov on the Terraform half (``--framework terraform --skip-download``), alone and with our
  pack (``--external-checks-dir "$(eice-checks --checkov-dir)"``).

Prints each pair of times and their ratio (the plugins issue asks for at most 1.10). cfn-lint and
checkov are the ones on PATH, or --cfn-lint / --checkov; each must be able to import eice_checks.
Nothing reaches the network (checkov: --skip-download, and no version check).

usage: python benchmarks/hosts.py [--size 200] [--repeat 3] [--cfn-lint PATH] [--checkov PATH]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import generate  # noqa: E402  (the same tree as the engine's own benchmark)

PACK = str(Path(__file__).resolve().parent.parent / "eice_checks" / "checkov_pack")


def host_env() -> dict[str, str]:
    """The environment the hosts run in. A fixed hash seed: checkov's work varies with set and dict
    order (a run alone took 20 to 31 s with random seeds), which hid our share in the noise; no
    version check (checkov would ask PyPI)."""
    env = {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "PYTHONHASHSEED": "0",
           "PYTHONPATH": str(Path(PACK).parent.parent) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: compiled once, not at every start
    return env


def time_run(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=host_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def compare(name: str, alone: list[str], ours: list[str], cwd: Path, repeat: int) -> None:
    best = {"alone": float("inf"), "ours": float("inf")}
    for _ in range(repeat):
        best["alone"] = min(best["alone"], time_run(alone, cwd))
        best["ours"] = min(best["ours"], time_run(ours, cwd))
    print(f"{name}, best of {repeat}: alone {best['alone']:.2f} s, with eice-checks {best['ours']:.2f} s, "
          f"ratio {best['ours'] / best['alone']:.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cfn-lint", default=shutil.which("cfn-lint") or "cfn-lint")
    parser.add_argument("--checkov", default=shutil.which("checkov") or "checkov")
    parser.add_argument("--skip", choices=("cfn-lint", "checkov"), action="append", default=[])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), args.size)
        if "cfn-lint" not in args.skip:
            folder = Path(tmp) / "cloudformation"
            templates = sorted(p.name for p in folder.glob("*.yaml"))
            compare(f"cfn-lint, {args.size} templates", [args.cfn_lint, "--", *templates],
                    [args.cfn_lint, "--append-rules=eice_checks.cfn_lint", "--", *templates], folder, args.repeat)
        if "checkov" not in args.skip:
            base = [args.checkov, "-d", ".", "--framework", "terraform", "--skip-download", "--quiet", "--compact"]
            compare(f"checkov, {args.size} Terraform root modules", base, base + ["--external-checks-dir", PACK],
                    Path(tmp) / "terraform", args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
