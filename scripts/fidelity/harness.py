"""Differential harness: eice-checks against Terraform, on randomly generated root modules.

    python scripts/fidelity/harness.py --seeds 0-329            # generate, plan, compare, summarise
    python scripts/fidelity/harness.py --seeds 17 --show        # one module: its files and disagreements
    python scripts/fidelity/harness.py --seeds 17 --minimise    # the smallest module that still disagrees

Needs Terraform and the AWS provider offline (``--mirror``, default /opt/tf-plugins; fake
credentials, ``-refresh=false``); never run in CI. Terraform's outputs are cached under ``--cache``
(default /tmp/eice-fidelity) per module text, so a second run after changing eice-checks only
compares. For each module (see generate.py) it compares, resource by resource:

- values: what eice-checks resolved from the source (rules: direction, protocol, ports, peer;
  instances' and endpoints' groups and subnets; which instances exist) with ``truth``, a plan over a
  fabricated state in which every VPC, subnet and group exists with a known id (terraform_runs.py),
  read by the plan reader (every value there is known: nothing is left to resolve);
- findings, as (rule, resource): from ``truth``, from the plan JSON alone, from the source beside its
  plan, each against the source's.

The summary counts modules per disagreement kind, with example seeds.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import sys
import tempfile
from collections import defaultdict
from contextlib import redirect_stderr
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# EICE_CHECKS_SRC: another checkout's eice_checks to compare (the numbers before a change)
sys.path.insert(0, os.environ.get("EICE_CHECKS_SRC") or os.path.dirname(os.path.dirname(HERE)))

import generate  # noqa: E402
import terraform_runs  # noqa: E402
from eice_checks.config import Config  # noqa: E402
from eice_checks.engine import run  # noqa: E402
from eice_checks.model.values import Unknown  # noqa: E402

BATCH = 20


def parse_seeds(text: str) -> list[int]:
    seeds: list[int] = []
    for part in text.split(","):
        if "-" in part:
            low, high = part.split("-")
            seeds.extend(range(int(low), int(high) + 1))
        else:
            seeds.append(int(part))
    return seeds


def scan_dir(directory: str):
    cwd = os.getcwd()
    os.chdir(directory)
    try:
        with redirect_stderr(io.StringIO()):
            return run(["."], Config())
    finally:
        os.chdir(cwd)


def findings(report) -> set[tuple[str, str]]:
    """(rule, resource) per instance: a finding reported once for every instance of a resource
    (``aws_instance.app``) stands for one per instance, so that readings that collapse differently
    (a message that names a per-instance value) compare equal."""
    model = report.scanned.model
    instances: dict[str, list[str]] = defaultdict(list)
    for item in (*model.endpoints, *model.targets):
        instances[item.resource_address or item.address].append(item.address)
    result = set()
    for finding in report.findings:
        expanded = instances.get(finding.resource)
        for address in (expanded if expanded and finding.resource not in expanded else [finding.resource]):
            result.add((finding.rule, address))
    return result


# -- what eice-checks resolved, in a form both readings share ---------------------------------------
def resolved(model) -> dict[str, Any]:
    """address -> what was resolved for it: rules by the resource that declares them, targets' and
    endpoints' groups and subnets. Groups and subnets are named by their address (an id outside the
    scan by itself); an unknown value is "?"."""
    groups = {key: group.name for key, group in model.security_groups.items()}
    subnets = {key: subnet.name for key, subnet in model.subnets.items()}
    out: dict[str, Any] = {}
    for group in model.security_groups.values():
        if group.assumed or group.name.startswith("default security group"):
            continue
        for rule in group.ingress + group.egress:
            if rule.implicit:
                continue
            peer = rule.peer
            if peer.kind == "cidr":
                peer_text = str(peer.cidr)
            elif peer.kind == "sg":
                peer_text = "sg:" + groups.get(peer.sg, peer.sg)
            elif peer.kind == "prefix_list":
                peer_text = "pl:" + str(peer.prefix_list)
            else:
                peer_text = "?"
            entry = (group.name, rule.direction, rule.protocol or "?", rule.ports or "?", peer_text)
            out.setdefault(f"rule {_strip_module_dir(rule.origin)}", set()).add(str(entry))
    for kind, items in (("target", model.targets), ("endpoint", model.endpoints)):
        for item in items:
            sgs = item.security_groups
            names = sorted(groups.get(k, k) for k in sgs.keys) + ([] if sgs.complete else ["?"])
            if kind == "target":
                place = sorted(subnets.get(s, s) for s in item.subnets) + ([] if item.subnets_complete else ["?"])
                exists = item.exists
            else:
                place = [subnets.get(item.subnet, item.subnet) if isinstance(item.subnet, str) else "?"]
                exists = True
            out[f"{kind} {item.address}"] = str((names, place, exists))
    return out


def _strip_module_dir(origin: str) -> str:
    return origin


# -- one module -------------------------------------------------------------------------------------
def compare(seed: int, files: dict[str, str], result: dict, keep: str | None = None) -> dict[str, list[str]]:
    """Disagreement kind -> details, for one generated module."""
    problems: dict[str, list[str]] = defaultdict(list)
    if "error" in result:
        # Terraform rejects the module (a value failing validation): the source scan must not conclude
        # anything Terraform would not get to
        rejected = _write_tree(files, None)
        source = findings(scan_dir(rejected))
        shutil.rmtree(rejected, ignore_errors=True)
        if source:
            # (a finding that does not depend on the rejected value is still the source's to give)
            problems["(terraform rejected the module; findings not depending on it remain)"].append(str(sorted(source)))
        else:
            problems["(terraform rejected the module; no finding)"].append(result["error"].splitlines()[-1][:200])
        return problems
    if "truth" not in result:
        problems["(no fabricated-state plan)"].append(result.get("truth_error", "")[:200])
        return problems
    source_dir = _write_tree(files, None)
    plan_dir = _write_tree({}, result["plan"])
    both_dir = _write_tree(files, result["plan"])
    truth_dir = _write_tree({}, result["truth"])
    source_report, truth_report = scan_dir(source_dir), scan_dir(truth_dir)
    source, truth = findings(source_report), findings(truth_report)
    plan_report = scan_dir(plan_dir)
    why = _not_recorded(source_report.scanned.model, plan_report.scanned.model, result["plan"])
    for name, other in (("truth", truth), ("plan alone", findings(plan_report)),
                        ("source beside plan", findings(scan_dir(both_dir)))):
        for rule, resource in sorted(other - source):
            problems[f"finding {rule}: {name} has it, source not"].append(resource)
        for rule, resource in sorted(source - other):
            reason = f" [{why}]" if name == "plan alone" and why else ""
            problems[f"finding {rule}: source has it, {name} not{reason}"].append(resource)
    source_values, truth_values = resolved(source_report.scanned.model), resolved(truth_report.scanned.model)
    for address in sorted(set(source_values) | set(truth_values)):
        mine, theirs = source_values.get(address), truth_values.get(address)
        if mine != theirs:
            kind = address.split(" ")[0]
            if mine is None:
                problems[f"value {kind}: only in Terraform's"].append(f"{address}: {theirs}")
            elif theirs is None:
                problems[f"value {kind}: only in the source's"].append(f"{address}: {mine}")
            else:
                problems[f"value {kind}: differs"].append(f"{address}: source {mine} / terraform {theirs}")
    for directory in (source_dir, plan_dir, both_dir, truth_dir):
        if keep is None:
            shutil.rmtree(directory, ignore_errors=True)
    return problems


NOT_RECORDED = ("through a local", "a list of new ids (literals not recorded)", "an element picked by a function")


def _not_recorded(source_model, plan_model, plan_path: str) -> str:
    """Why the plan alone resolves less than the source, for the values that differ: what the
    configuration's expressions refer to, which a plan records without the expression itself.
    "" when some value differs for another reason (a gap of the plan reader)."""
    with open(plan_path) as handle:
        plan = json.load(handle)
    expressions: dict[str, dict] = {}
    stack = [("", plan.get("configuration", {}).get("root_module", {}))]
    while stack:
        prefix, module = stack.pop()
        for resource in module.get("resources", []):
            expressions[prefix + resource["address"]] = resource.get("expressions", {})
        for name, call in module.get("module_calls", {}).items():
            stack.append((f"{prefix}module.{name}.", call.get("module", {})))
            expressions[f"{prefix}module.{name}"] = call.get("expressions", {})

    def references(address: str) -> list[str]:
        import re as _re

        base = _re.sub(r'\[[^\]]*\]', "", address)
        found, todo = [], [expressions.get(base, {})]
        # a module's inputs too: what its resources read through var.
        parts = base.split(".")
        for i in range(len(parts)):
            if parts[i] == "module" and i + 1 < len(parts):
                todo.append(expressions.get(".".join(parts[:i + 2]), {}))
        while todo:
            item = todo.pop()
            if isinstance(item, dict):
                found.extend(r for r in item.get("references", []) if isinstance(r, str))
                todo.extend(v for k, v in item.items() if k != "references")
            elif isinstance(item, list):
                todo.extend(item)
        return found

    mine, theirs = resolved(source_model), resolved(plan_model)
    reasons: set[str] = set()
    for address in set(mine) | set(theirs):
        if mine.get(address) == theirs.get(address):
            continue
        resource = address.split(" ", 1)[1]
        refs = references(resource)
        if any(r.startswith("local.") for r in refs):
            reasons.add(NOT_RECORDED[0])
        elif any(r.startswith(("aws_security_group.", "module.")) or ".aws_security_group." in r for r in refs) and \
                address.split(" ")[0] in ("target", "endpoint"):
            reasons.add(NOT_RECORDED[1])
        elif any(r.startswith("aws_subnet.") for r in refs):
            reasons.add(NOT_RECORDED[2])
        else:
            return ""
    return ", ".join(sorted(reasons))


def _write_tree(files: dict[str, str], plan: str | None) -> str:
    directory = tempfile.mkdtemp(prefix="eice-fidelity-")
    for path, text in files.items():
        os.makedirs(os.path.dirname(os.path.join(directory, path)), exist_ok=True)
        with open(os.path.join(directory, path), "w") as handle:
            handle.write(text)
    if plan:
        shutil.copy(plan, os.path.join(directory, "plan.json"))
    return directory


# -- driver -----------------------------------------------------------------------------------------
def terraform_results(seeds: list[int], generated: dict[int, dict[str, str]], args) -> dict[int, dict]:
    env = terraform_runs.environment(terraform_runs.cli_config(args.cache, args.mirror))
    template = terraform_runs.prepare_template(args.cache, env)
    results: dict[int, dict] = {}
    for start in range(0, len(seeds), BATCH):
        batch = seeds[start:start + BATCH]
        results.update(terraform_runs.run_batch(batch, generated, args.cache, template, env))
        print(f"planned {min(start + BATCH, len(seeds))}/{len(seeds)}", file=sys.stderr, flush=True)
    return results


def summarise(per_seed: dict[int, dict[str, list[str]]], total: int) -> str:
    kinds: dict[str, list[int]] = defaultdict(list)
    for seed, problems in per_seed.items():
        for kind in problems:
            kinds[kind].append(seed)
    lines = [f"{total} modules compared"]
    for kind in sorted(kinds, key=lambda k: (-len(kinds[k]), k)):
        seeds = kinds[kind]
        lines.append(f"{len(seeds):5d}  {kind}   e.g. seeds {', '.join(map(str, seeds[:6]))}")
    if not kinds:
        lines.append("    no disagreement")
    return "\n".join(lines)


def minimise(seed: int, files: dict[str, str], kind: str, args) -> dict[str, str]:
    """Drop top-level blocks and tfvars lines one at a time while the module still plans and still
    shows ``kind`` (each try is one Terraform plan)."""
    import minimise as shrink

    def still_fails(candidate: dict[str, str]) -> bool:
        result = terraform_results_for(seed, candidate, args)
        return kind in compare(seed, candidate, result)

    return shrink.shrink(files, still_fails, args.tries)


def terraform_results_for(seed: int, files: dict[str, str], args) -> dict:
    env = terraform_runs.environment(terraform_runs.cli_config(args.cache, args.mirror))
    template = terraform_runs.prepare_template(args.cache, env)
    return terraform_runs.run_batch([seed], {seed: files}, args.cache, template, env)[seed]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0-329")
    parser.add_argument("--cache", default="/tmp/eice-fidelity")
    parser.add_argument("--mirror", default="/opt/tf-plugins")
    parser.add_argument("--show", action="store_true", help="print each module and its disagreements")
    parser.add_argument("--minimise", metavar="KIND", nargs="?", const="",
                        help="shrink the (first) seed's module while it shows KIND (default: its first kind)")
    parser.add_argument("--tries", type=int, default=60, help="at most this many Terraform plans when minimising")
    parser.add_argument("--json", metavar="FILE", help="write the disagreements per seed to FILE")
    args = parser.parse_args()
    seeds = parse_seeds(args.seeds)
    generated = {seed: generate.generate(seed) for seed in seeds}
    results = terraform_results(seeds, generated, args)
    per_seed = {}
    for seed in seeds:
        problems = compare(seed, generated[seed], results[seed])
        per_seed[seed] = {k: v for k, v in problems.items() if not k.startswith("(")}
        if args.show:
            for path, text in generated[seed].items():
                print(f"# ---- seed {seed}: {path}\n{text}")
            for kind, details in problems.items():
                print(f"  {kind}:")
                for detail in details:
                    print(f"      {detail}")
    print(summarise({s: p for s, p in per_seed.items() if p}, len(seeds)))
    skipped = sum(1 for s in seeds if "truth" not in results[s])
    if skipped:
        print(f"({skipped} modules without a fabricated-state plan: Terraform rejected them or the state)")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(per_seed, handle, indent=1, sort_keys=True)
    if args.minimise is not None:
        seed = seeds[0]
        kind = args.minimise or next(iter(per_seed[seed]), None)
        if kind is None:
            print(f"seed {seed} shows no disagreement")
            return 0
        small = minimise(seed, generated[seed], kind, args)
        for path, text in small.items():
            print(f"# ---- minimised seed {seed} ({kind}): {path}\n{text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
