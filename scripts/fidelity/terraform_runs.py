"""Running Terraform (offline) on a generated module: plan.json, and truth.json, a second plan over a
fabricated state in which every VPC, subnet and security group already exists with a known id, so
that every id the configuration refers to is known in the plan (the ground truth for ids).

Outputs are cached per seed and module text under the cache directory: Terraform runs once per
generated module, and eice-checks can be compared again and again after a change.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from typing import Optional

# Types the fabricated state creates, with the attributes that force a replacement when they differ
# (copied from the first plan's planned values), and the id prefix.
FABRICATED = {"aws_vpc": "vpc", "aws_subnet": "subnet", "aws_security_group": "sg"}
PROVIDER = 'provider["registry.terraform.io/hashicorp/aws"]'


def cli_config(cache: str, mirror: str) -> str:
    path = os.path.join(cache, "terraformrc")
    os.makedirs(cache, exist_ok=True)
    with open(path, "w") as handle:
        handle.write(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n')
    return path


def environment(config: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(TF_CLI_CONFIG_FILE=config, AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x",
               AWS_DEFAULT_REGION="us-east-1", TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1",
               TF_INPUT="0")
    return env


def prepare_template(cache: str, env: dict[str, str]) -> str:
    """One `terraform init` whose providers every generated module shares (by a link)."""
    template = os.path.join(cache, "template")
    if os.path.isdir(os.path.join(template, ".terraform", "providers")):
        return template
    os.makedirs(template, exist_ok=True)
    from generate import PROVIDER as BLOCK  # noqa: E402 (scripts/fidelity on sys.path)

    with open(os.path.join(template, "main.tf"), "w") as handle:
        handle.write(BLOCK)
    subprocess.run(["terraform", "init", "-input=false", "-no-color"], cwd=template, env=env, check=True,
                   capture_output=True)
    schema = subprocess.run(["terraform", "providers", "schema", "-json"], cwd=template, env=env, check=True,
                            capture_output=True, text=True).stdout
    versions = {t: s["version"] for t, s in
                json.loads(schema)["provider_schemas"]["registry.terraform.io/hashicorp/aws"]["resource_schemas"].items()
                if t in FABRICATED}
    with open(os.path.join(template, "schema_versions.json"), "w") as handle:
        json.dump(versions, handle)
    return template


def digest(files: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:16]


def run_batch(seeds: list[int], generated: dict[int, dict[str, str]], cache: str, template: str,
              env: dict[str, str]) -> dict[int, dict]:
    """Plan many generated modules at once (Terraform's start-up, mostly loading the provider's
    schema, dominates a small plan): each is a module call ``module.mSEED`` of one batch root, with its
    tfvars as the call's arguments (which Terraform converts and checks as it does root variables:
    types, nullable, validation). Returns, per seed, {"plan", "truth"} (plan JSON of that module alone,
    cut out of the batch's plan and re-rooted) or {"error"}; cached by the modules' text."""
    key = digest({str(s): digest(generated[s]) for s in seeds})
    directory = os.path.join(cache, "batches", f"{seeds[0]:05d}-{key}")
    result_path = os.path.join(directory, "result.json")
    if os.path.exists(result_path):
        with open(result_path) as handle:
            return {int(k): v for k, v in json.load(handle).items()}
    shutil.rmtree(directory, ignore_errors=True)
    work = os.path.join(directory, "work")
    os.makedirs(work)
    from generate import PROVIDER as BLOCK  # noqa: E402

    calls, modules_json = [BLOCK], [{"Key": "", "Source": "", "Dir": "."}]
    for seed in seeds:
        name = f"m{seed}"
        for path, text in generated[seed].items():
            if path == "terraform.tfvars":
                continue
            if path == "main.tf":
                text = text.replace(BLOCK, "")
            target = os.path.join(work, name, path)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "w") as handle:
                handle.write(text)
            if path.startswith("modules/") and path.endswith("/main.tf"):
                child = path.split("/")[1]
                modules_json.append({"Key": f"{name}.{child}", "Source": f"./modules/{child}", "Dir": f"{name}/modules/{child}"})
        arguments = generated[seed].get("terraform.tfvars", "")
        calls.append(f'module "{name}" {{\n  source = "./{name}"\n' +
                     "".join(f"  {line}\n" for line in arguments.splitlines()) + "}")
        modules_json.append({"Key": name, "Source": f"./{name}", "Dir": name})
    with open(os.path.join(work, "main.tf"), "w") as handle:
        handle.write("\n\n".join(calls) + "\n")
    dot = os.path.join(work, ".terraform")
    os.makedirs(os.path.join(dot, "modules"))
    os.symlink(os.path.join(template, ".terraform", "providers"), os.path.join(dot, "providers"))
    shutil.copy(os.path.join(template, ".terraform.lock.hcl"), work)
    with open(os.path.join(dot, "modules", "modules.json"), "w") as handle:
        json.dump({"Modules": modules_json}, handle)
    results: dict[int, dict] = {}
    plan = _plan(work, env)
    if isinstance(plan, str):
        named = {int(m) for m in re.findall(r'(?:module "m|module\.m|\bm)(\d+)[/".\[]', plan)} & set(seeds)
        if len(seeds) == 1:
            results = {seeds[0]: {"error": plan}}
        elif named and len(named) < len(seeds):  # the error names the module it is in: plan the rest
            rest = [s for s in seeds if s not in named]
            results = {**{s: {"error": plan} for s in named}, **run_batch(rest, generated, cache, template, env)}
        else:  # one module's plan fails (a validation, say): split the batch
            half = len(seeds) // 2
            results = {**run_batch(seeds[:half], generated, cache, template, env),
                       **run_batch(seeds[half:], generated, cache, template, env)}
    else:
        truth = _truth(work, plan, template, env)
        for seed in seeds:
            entry = {"plan": _write(directory, f"{seed}.plan.json", cut(plan, f"m{seed}"))}
            if isinstance(truth, str):
                entry["truth_error"] = truth
            else:
                entry["truth"] = _write(directory, f"{seed}.truth.json", cut(truth, f"m{seed}"))
            results[seed] = entry
    with open(result_path, "w") as handle:
        json.dump(results, handle)
    return results


def cut(plan: dict, name: str) -> dict:
    """The plan of ``module.NAME`` alone, as if it had been planned as the root module."""
    prefix = f"module.{name}."

    def strip(address: str) -> str:
        return address[len(prefix):] if address.startswith(prefix) else address

    def module(values: dict) -> dict:
        result = dict(values)
        result.pop("address", None)
        result["resources"] = [{**r, "address": strip(r["address"])} for r in values.get("resources", [])]
        result["child_modules"] = [{**module(c), "address": strip(c["address"])} for c in values.get("child_modules", [])]
        if not result["child_modules"]:
            del result["child_modules"]
        return result

    def root(values: Optional[dict]) -> dict:
        for child in (values or {}).get("child_modules", []):
            if child.get("address") == f"module.{name}":
                return module(child)
        return {}

    changes = []
    for change in plan.get("resource_changes", []):
        if change["address"].startswith(prefix):
            change = {**change, "address": strip(change["address"])}
            if change.get("module_address", "").startswith(f"module.{name}"):
                rest = strip(change["module_address"] + ".")[:-1]
                if rest == f"module.{name}":
                    change.pop("module_address")
                else:
                    change["module_address"] = rest
            changes.append(change)
    configuration = plan.get("configuration", {})
    call = configuration.get("root_module", {}).get("module_calls", {}).get(name, {})
    result = {k: v for k, v in plan.items() if k in ("format_version", "terraform_version", "applyable", "complete", "errored")}
    result["planned_values"] = {"root_module": root(plan.get("planned_values", {}).get("root_module"))}
    result["resource_changes"] = changes
    result["configuration"] = {"provider_config": configuration.get("provider_config", {}),
                               "root_module": call.get("module", {})}
    # the root variables' values as a plan of the module alone records them: given, else the default
    given = call.get("expressions", {})
    result["variables"] = {
        variable: {"value": given[variable]["constant_value"] if "constant_value" in given.get(variable, {})
                   else declared.get("default")}
        for variable, declared in call.get("module", {}).get("variables", {}).items()}
    if "prior_state" in plan:
        prior = plan["prior_state"]
        result["prior_state"] = {**{k: v for k, v in prior.items() if k != "values"},
                                 "values": {"root_module": root(prior.get("values", {}).get("root_module"))}}
    return result


def _plan(work: str, env: dict[str, str], state: Optional[str] = None) -> dict | str:
    command = ["terraform", "plan", "-refresh=false", "-input=false", "-no-color", "-parallelism=2", "-lock=false",
               "-out=plan.out"]
    if state:
        command.append(f"-state={state}")
    done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        return (done.stderr or done.stdout).strip()[-2000:]
    shown = subprocess.run(["terraform", "show", "-json", "-no-color", "plan.out"], cwd=work, env=env,
                           capture_output=True, text=True)
    if shown.returncode != 0:
        return shown.stderr.strip()[-2000:]
    return json.loads(shown.stdout)


def _write(directory: str, name: str, plan: dict) -> str:
    path = os.path.join(directory, name)
    with open(path, "w") as handle:
        json.dump(plan, handle, indent=1)
    return path


def _truth(work: str, plan: dict, template: str, env: dict[str, str]) -> dict | str:
    """Plan again over a state in which every VPC, subnet and group exists with a fabricated id;
    what a replacement would change (a subnet's vpc_id known only now) is copied from that plan
    into the state and planned again, until nothing is replaced (a few rounds)."""
    with open(os.path.join(template, "schema_versions.json")) as handle:
        versions = json.load(handle)
    instances: dict[str, dict] = {}  # address -> state instance attributes
    for address, resource in _planned_resources(plan):
        if resource["type"] in FABRICATED and resource.get("mode") == "managed":
            values = dict(resource.get("values") or {})
            fake = hashlib.sha256(address.encode()).hexdigest()[:17]
            values["id"] = f"{FABRICATED[resource['type']]}-{fake}"
            instances[address] = {"resource": resource, "values": values}
    vpcs = {a.split(".aws_vpc.")[0]: i["values"]["id"] for a, i in instances.items() if ".aws_vpc." in a}
    for address, entry in instances.items():
        if entry["resource"]["type"] != "aws_vpc" and entry["values"].get("vpc_id") is None:
            entry["values"]["vpc_id"] = vpcs.get(address.split(".")[0] + "." + address.split(".")[1])
    if not instances:
        return plan
    state_path = os.path.join(work, "fabricated.tfstate")
    for _ in range(4):
        _write_state(state_path, instances, versions)
        planned = _plan(work, env, state_path)
        if isinstance(planned, str):
            return planned
        replaced = False
        for change in planned.get("resource_changes", []):
            address = change["address"]
            if address in instances and "create" in change["change"]["actions"]:
                replaced = True
                after = change["change"].get("after") or {}
                kept = instances[address]["values"]["id"]
                instances[address]["values"].update({k: v for k, v in after.items() if v is not None})
                instances[address]["values"]["id"] = kept
        if not replaced:
            return planned
        # references to the fabricated ids are known now: the next round's values fit them
    return "fabricated state still replaced after 4 rounds"


def _planned_resources(plan: dict):
    stack = [plan.get("planned_values", {}).get("root_module", {})]
    while stack:
        module = stack.pop()
        for resource in module.get("resources", []):
            yield resource["address"], resource
        stack.extend(module.get("child_modules", []))


def _write_state(path: str, instances: dict[str, dict], versions: dict[str, int]) -> None:
    grouped: dict[tuple, list] = {}
    for address, entry in instances.items():
        resource = entry["resource"]
        module = address.rsplit(f"{resource['type']}.{resource['name']}", 1)[0].rstrip(".")
        key = (module, resource["type"], resource["name"])
        instance = {"schema_version": versions.get(resource["type"], 0), "attributes": _fill(entry["values"], resource["type"])}
        if "index" in resource:
            instance["index_key"] = resource["index"]
        grouped.setdefault(key, []).append(instance)
    resources = []
    for (module, type_, name), items in sorted(grouped.items()):
        entry = {"mode": "managed", "type": type_, "name": name, "provider": PROVIDER, "instances": items}
        if module:
            entry["module"] = module
        resources.append(entry)
    state = {"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "fabricated", "outputs": {},
             "resources": resources}
    with open(path, "w") as handle:
        json.dump(state, handle, indent=1)


def _fill(values: dict, type_: str) -> dict:
    """Attributes the provider computes, filled so the prior state reads as a real one."""
    filled = dict(values)
    if type_ == "aws_security_group":
        filled.setdefault("name", values["id"])
        filled.setdefault("arn", f"arn:aws:ec2:us-east-1:123456789012:security-group/{values['id']}")
        filled.setdefault("owner_id", "123456789012")
    elif type_ == "aws_subnet":
        filled.setdefault("availability_zone", "us-east-1a")
        filled.setdefault("availability_zone_id", "use1-az1")
        filled.setdefault("arn", f"arn:aws:ec2:us-east-1:123456789012:subnet/{values['id']}")
    elif type_ == "aws_vpc":
        filled.setdefault("arn", f"arn:aws:ec2:us-east-1:123456789012:vpc/{values['id']}")
        filled.setdefault("default_security_group_id", "sg-0default" + values["id"][-8:])
        filled.setdefault("main_route_table_id", "rtb-0" + values["id"][-8:])
    return filled
