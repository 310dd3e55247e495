#!/usr/bin/env python3
"""Benchmark against the peers: eice-checks, cfn-lint and checkov in one run on the same files.

    python benchmarks/peers.py [--sizes 200,2000] [--repeat 3] [--cfn-lint PATH] [--checkov PATH] [--no-plugins]

For each size N, benchmarks/realistic.py writes N CloudFormation templates and N Terraform root
modules (calling local modules with for_each; mixed sizes). Then, each command in a fresh process,
in rounds that alternate the commands (so that a busy machine slows all of them alike), it times:

- eice-checks on the CloudFormation half against ``cfn-lint`` on the same templates;
- eice-checks on the Terraform half against ``checkov -d terraform --framework terraform --skip-download``;
- cfn-lint with our rules (``--append-rules=eice_checks.cfn_lint``) against cfn-lint alone, and
  checkov with our pack (``--external-checks-dir``) against checkov alone;
- eice-checks on the whole tree (its peak memory, and the growth from the smallest size to the largest);
- cold start: one template, and one root module with its modules, for all three.

Each figure is the median of --repeat runs: wall-clock seconds, CPU seconds (user + system of the
process and its children, which a busy machine inflates less) and peak resident memory. The last
thing printed is a Markdown table with the targets (docs/performance.md). cfn-lint and checkov are
those on PATH unless named; each must import eice_checks for the plugin rows. Nothing reaches the
network (checkov: --skip-download and no version check).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hosts import PACK, host_env  # noqa: E402  (the hosts' environment, set in one place)
from realistic import generate  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Sample:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)
    codes: set[int] = field(default_factory=set)

    def median(self, what: str) -> float:
        return statistics.median(getattr(self, what))


def run_once(command: list[str], cwd: Path) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds, peak resident MB and exit status of one run in a fresh process."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, env=host_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode


def measure(commands: dict[str, tuple[list[str], Path]], repeat: int) -> dict[str, Sample]:
    samples = {name: Sample() for name in commands}
    for _ in range(repeat):
        for name, (command, cwd) in commands.items():
            wall, cpu, peak, code = run_once(command, cwd)
            sample = samples[name]
            sample.wall.append(wall)
            sample.cpu.append(cpu)
            sample.peak_mb.append(peak)
            sample.codes.add(code)
    return samples


def commands_for(tree: Path, tools: argparse.Namespace, templates: list[str]) -> dict[str, tuple[list[str], Path]]:
    ours = [tools.python, "-m", "eice_checks", "--format", "json", "--fail-on", "never"]
    checkov = [tools.checkov, "-d", "terraform", "--framework", "terraform", "--skip-download", "--quiet", "--compact"]
    commands = {
        "ours-cfn": (ours + ["cloudformation"], tree),
        "ours-tf": (ours + ["terraform"], tree),
        "ours-all": (ours + ["."], tree),
    }
    if not tools.no_cfn_lint:
        commands["cfn-lint"] = ([tools.cfn_lint, "--", *templates], tree)
        if not tools.no_plugins:
            commands["cfn-lint+rules"] = ([tools.cfn_lint, "--append-rules=eice_checks.cfn_lint", "--", *templates], tree)
    if not tools.no_checkov:
        commands["checkov"] = (checkov, tree)
        if not tools.no_plugins:
            commands["checkov+pack"] = (checkov + ["--external-checks-dir", PACK], tree)
    return commands


def cold_start(tree: Path, tools: argparse.Namespace, repeat: int) -> dict[str, Sample]:
    """One template; one root module with the modules it calls. The first run of each command is
    not counted (it compiles what the tool imports, as installing it would have)."""
    one = tree / "one"
    shutil.copytree(tree / "terraform" / "modules", one / "modules")
    root = sorted((tree / "terraform" / "live").iterdir())[0]
    shutil.copytree(root, one / "live" / root.name)
    template = sorted((tree / "cloudformation").rglob("*.yaml"))[0]
    shutil.copy(template, one / "template.yaml")
    ours = [tools.python, "-m", "eice_checks", "--format", "json", "--fail-on", "never"]
    commands = {"ours-cfn": (ours + ["template.yaml"], one), "ours-tf": (ours + ["live"], one)}
    if not tools.no_cfn_lint:
        commands["cfn-lint"] = ([tools.cfn_lint, "--", "template.yaml"], one)
    if not tools.no_checkov:
        commands["checkov"] = ([tools.checkov, "-d", ".", "--framework", "terraform", "--skip-download", "--quiet",
                                "--compact"], one)
    measure(commands, 1)
    return measure(commands, repeat)


def _fmt(sample: Optional[Sample], what: str = "wall") -> str:
    if sample is None:
        return "-"
    return f"{sample.median(what):.1f} MB" if what == "peak_mb" else f"{sample.median(what):.2f} s"


def _ratio(slow: Optional[Sample], fast: Optional[Sample], what: str) -> Optional[float]:
    return None if slow is None or fast is None else slow.median(what) / fast.median(what)


def _verdict(value: Optional[float], target: float, at_least: bool) -> str:
    if value is None:
        return "-"
    met = value >= target if at_least else value <= target
    return ("met" if met else "**missed**")


def table(results: dict[str, dict[str, Sample]], cold: dict[str, Sample], sizes: list[int], repeat: int) -> str:
    rows = ["| what | eice-checks / plugin | peer / host | ratio (wall) | ratio (CPU) | target |",
            "|---|---|---|---|---|---|"]

    def peer_row(label: str, ours: Optional[Sample], peer: Optional[Sample]) -> None:
        wall, cpu = _ratio(peer, ours, "wall"), _ratio(peer, ours, "cpu")
        rows.append(f"| {label} | {_fmt(ours)} (CPU {_fmt(ours, 'cpu')}) | {_fmt(peer)} (CPU {_fmt(peer, 'cpu')}) | "
                    + (f"{wall:.1f}x faster | {cpu:.1f}x faster | >= 20x: {_verdict(wall, 20, True)}" if wall else "- | - | -")
                    + " |")

    def host_row(label: str, plugin: Optional[Sample], host: Optional[Sample]) -> None:
        wall, cpu = _ratio(plugin, host, "wall"), _ratio(plugin, host, "cpu")
        rows.append(f"| {label} | {_fmt(plugin)} | {_fmt(host)} | "
                    + (f"{wall:.3f} | {cpu:.3f} | <= 1.10: {_verdict(wall, 1.10, False)}" if wall else "- | - | -") + " |")

    for size in sizes:
        got = results[size]
        peer_row(f"{size} templates: eice-checks vs cfn-lint", got["ours-cfn"], got.get("cfn-lint"))
        peer_row(f"{size} root modules: eice-checks vs checkov", got["ours-tf"], got.get("checkov"))
        host_row(f"{size} templates: cfn-lint with our rules / alone", got.get("cfn-lint+rules"), got.get("cfn-lint"))
        host_row(f"{size} root modules: checkov with our pack / alone", got.get("checkov+pack"), got.get("checkov"))
    peer_row("cold start, one template: eice-checks vs cfn-lint", cold["ours-cfn"], cold.get("cfn-lint"))
    peer_row("cold start, one root module: eice-checks vs checkov", cold["ours-tf"], cold.get("checkov"))
    largest, smallest = results[sizes[-1]]["ours-all"], results[sizes[0]]["ours-all"]
    rows.append(f"| peak memory, eice-checks on {sizes[-1]} templates + {sizes[-1]} root modules | "
                f"{_fmt(largest, 'peak_mb')} | | | | < 300 MB: {_verdict(largest.median('peak_mb'), 300, False)} |")
    if len(sizes) > 1:
        growth, cpu_growth = _ratio(largest, smallest, "wall"), _ratio(largest, smallest, "cpu")
        rows.append(f"| growth, eice-checks whole tree, {sizes[-1]} vs {sizes[0]} ({sizes[-1] / sizes[0]:.0f}x the files) | "
                    f"{_fmt(largest)} vs {_fmt(smallest)} | | {growth:.2f}x | {cpu_growth:.2f}x | "
                    f"<= 11x: {_verdict(growth, 11, False)} |")
    return "\n".join(rows) + f"\n\nMedians of {repeat} runs each (cold start: of {repeat * 2}), commands alternated in rounds."


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="200,2000", help="comma-separated counts of templates and of root modules")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command per size (the median is shown)")
    parser.add_argument("--cfn-lint", default=shutil.which("cfn-lint") or "cfn-lint")
    parser.add_argument("--checkov", default=shutil.which("checkov") or "checkov")
    parser.add_argument("--python", default=sys.executable, help="interpreter that runs eice-checks")
    parser.add_argument("--no-cfn-lint", action="store_true", help="leave cfn-lint out")
    parser.add_argument("--no-checkov", action="store_true", help="leave checkov out")
    parser.add_argument("--no-plugins", action="store_true",
                        help="leave out the rows of the hosts with our rules and pack (halves the hosts' time)")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    results: dict[int, dict[str, Sample]] = {}
    with tempfile.TemporaryDirectory(prefix="eice-peers-") as tmp:
        generate(Path(tmp) / "cold", 5)
        cold = cold_start(Path(tmp) / "cold", args, args.repeat * 2)
        for name, sample in cold.items():
            print(f"  one {name:<15} wall {_fmt(sample)}  CPU {_fmt(sample, 'cpu')}  peak {_fmt(sample, 'peak_mb')}", flush=True)
        for size in sizes:
            tree = Path(tmp) / f"n{size}"
            generate(tree, size)
            templates = sorted(p.relative_to(tree).as_posix() for p in (tree / "cloudformation").rglob("*.yaml"))
            results[size] = measure(commands_for(tree, args, templates), args.repeat)
            for name, sample in results[size].items():
                print(f"{size:>5} {name:<15} wall {_fmt(sample)}  CPU {_fmt(sample, 'cpu')}  "
                      f"peak {_fmt(sample, 'peak_mb')}  exit {sorted(sample.codes)}", flush=True)
    print(f"\n{os.cpu_count()} CPUs, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end\n")
    print(table(results, cold, sizes, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
