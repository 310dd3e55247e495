"""Terraform values as Terraform resolves them: tfvars and --var, modules, count/for_each, dynamic
blocks, downloaded modules, plan JSON; and Unknown where they cannot be followed."""
from __future__ import annotations

import json

from eice_checks.adapters.cli import main
from eice_checks.scan import ScanInputs
from helpers import FIXTURES, expected_markers, found, scan

RESOLVE = FIXTURES / "resolve"
MODULES = RESOLVE / "terraform_modules"


def test_modules_for_each_count_dynamic_and_tfvars():
    report = scan(MODULES)
    assert report.errors == []
    # every instance of module.app[*].aws_instance.this[*] fails the same way: one finding, unexpanded
    assert found(report) == {("EICE003", "modules/app/main.tf", 29, "module.app.aws_instance.this")}
    assert {(r, f, line) for r, f, line, _ in found(report)} == expected_markers(MODULES)
    targets = sorted(t.address for t in report.scanned.model.targets)
    # prod.auto.tfvars (2) overrides terraform.tfvars (3): two instances per color
    assert targets == ['module.app["blue"].aws_instance.this[0]', 'module.app["blue"].aws_instance.this[1]',
                       'module.app["green"].aws_instance.this[0]', 'module.app["green"].aws_instance.this[1]']
    (endpoint,) = report.scanned.model.endpoints
    assert endpoint.address == "module.eice.aws_ec2_instance_connect_endpoint.this"
    # the endpoint's group comes from a nested module; its dynamic egress block yields one rule per
    # app security group, by reference
    group = report.scanned.model.security_groups[endpoint.security_groups.keys[0]]
    assert group.name == "module.eice.module.security_group.aws_security_group.this"
    assert group.location.file == "modules/eice_sg/main.tf"
    assert sorted(r.peer.label for r in group.egress) == [
        'module.app["blue"].aws_security_group.this', 'module.app["green"].aws_security_group.this']
    subnets = sorted((s.name, str(s.cidr_v4)) for s in report.scanned.model.subnets.values())
    assert subnets == [("module.network.aws_subnet.private[0]", "10.60.1.0/24"),
                       ("module.network.aws_subnet.private[1]", "10.60.2.0/24")]


def test_command_line_variables_win_over_tfvars(capsys, monkeypatch):
    monkeypatch.chdir(MODULES)
    assert main(["--format", "json", "--var", "preserve_client_ip=false", "."]) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []
    # one instance per color: each instance fails, so the finding is still on the unexpanded address
    report = scan(MODULES, inputs=ScanInputs(variables=[("instances_per_color", "1")]))
    assert sorted(t.address for t in report.scanned.model.targets) == [
        'module.app["blue"].aws_instance.this[0]', 'module.app["green"].aws_instance.this[0]']


def test_var_file(tmp_path, capsys, monkeypatch):
    var_file = tmp_path / "off.tfvars"
    var_file.write_text("preserve_client_ip = false\n")
    monkeypatch.chdir(MODULES)
    assert main(["--var-file", str(var_file), "."]) == 0
    assert main(["--var-file", "missing.tfvars", "."]) == 2
    assert "--var-file missing.tfvars: no such file" in capsys.readouterr().err


def test_a_gated_resource_exists_only_when_its_count_says_so(capsys, monkeypatch):
    gated = RESOLVE / "gated"
    assert found(scan(gated)) == set()  # enable_endpoint defaults to false: count = 0
    report = scan(gated, inputs=ScanInputs(variables=[("enable_endpoint", "true")]))
    assert found(report) == {("EICE001", "main.tf", 24, "aws_ec2_instance_connect_endpoint.this[0]")}


def test_downloaded_remote_module_is_followed_and_a_missing_one_is_unknown():
    folder = RESOLVE / "remote_module"
    report = scan(folder)
    assert report.errors == []
    assert {(r, f, line) for r, f, line, _ in found(report)} == expected_markers(folder)
    assert found(report) == {("EICE002", "main.tf", 51, "aws_instance.worker")}
    assert [e.address for e in report.scanned.model.endpoints] == ["module.endpoint.aws_ec2_instance_connect_endpoint.this"]


def test_findings_inside_downloaded_modules_point_at_the_call_in_the_users_code():
    folder = RESOLVE / "remote_module_findings"
    report = scan(folder)
    assert report.errors == []
    assert found(report) == {
        # the endpoint in the registry module "eice" leaves preservation to the provider's default
        ("EICE007", "main.tf", 13, "module.eice.aws_ec2_instance_connect_endpoint.this"),
        # the world-open rule is in "sg", a registry module that the registry module "app" calls:
        # the outermost call, in the user's main.tf
        ("EICE005", "main.tf", 21, "module.app.aws_instance.this"),
        ("EICE003", "main.tf", 45, "aws_instance.legacy"),
        # a registry module called from the user's own local module: that call
        ("EICE005", "modules/worker/main.tf", 9, "module.worker.aws_instance.worker"),
        # the local module's own resources keep their place inside it
        ("EICE002", "modules/worker/main.tf", 33, "module.worker.aws_instance.batch"),
    }
    assert {(r, f, line) for r, f, line, _ in found(report)} == expected_markers(folder)
    related = {f.resource: f.related for f in report.findings}
    assert related["module.eice.aws_ec2_instance_connect_endpoint.this"] == (".terraform/modules/eice/main.tf:26",)
    assert related["module.app.aws_instance.this"][-1] == ".terraform/modules/app.sg/main.tf:19"
    assert related["module.worker.aws_instance.worker"][-1] == ".terraform/modules/worker.worker_sg/main.tf:20"
    assert not any(r.endswith(":33") for r in related["module.worker.aws_instance.batch"])
    # the model keeps the places inside the modules; only findings are pointed at the calls
    (endpoint,) = report.scanned.model.endpoints
    assert endpoint.location.file == ".terraform/modules/eice/main.tf"


def test_plan_json_resolves_values_known_after_apply_through_the_configuration():
    report = scan(RESOLVE / "plan")
    assert report.errors == []
    assert found(report) == {("EICE003", "plan.json", 39, "aws_instance.app")}
    model = report.scanned.model
    (endpoint,) = model.endpoints
    assert endpoint.security_groups.keys == ("plan.json#aws_security_group.eice",)  # after apply, by reference
    assert endpoint.subnet == "plan.json#aws_subnet.private"
    assert endpoint.vpc == "vpc-0f1e2d3c4b5a69788"  # the existing VPC's real id, through the subnet
    assert sorted(t.address for t in model.targets) == ["aws_instance.app[0]", "aws_instance.app[1]"]


def test_tfvars_json_var_file(tmp_path, capsys, monkeypatch):
    var_file = tmp_path / "off.tfvars.json"
    var_file.write_text('{"preserve_client_ip": false}')
    monkeypatch.chdir(MODULES)
    assert main(["--format", "json", "--var-file", str(var_file), "."]) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []


def test_only_the_failing_instances_are_named_when_not_all_fail(tmp_path):
    (tmp_path / "main.tf").write_text("""
locals {
  ssh_from = ["10.0.0.0/16", "198.51.100.0/24"]
}
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}
resource "aws_security_group" "eice" {
  vpc_id = aws_vpc.main.id
  egress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/16"]
  }
}
resource "aws_ec2_instance_connect_endpoint" "this" {
  subnet_id          = aws_subnet.a.id
  security_group_ids = [aws_security_group.eice.id]
  preserve_client_ip = false
}
resource "aws_security_group" "app" {
  count  = 2
  vpc_id = aws_vpc.main.id
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [local.ssh_from[count.index]]
  }
}
resource "aws_instance" "app" {
  count                  = 2
  ami                    = "ami-1"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.a.id
  vpc_security_group_ids = [aws_security_group.app[count.index].id]
}
""")
    # app[0] admits the VPC range (preservation off: fine); app[1] only an office's public range
    assert found(scan(tmp_path)) == {("EICE003", "main.tf", 33, "aws_instance.app[1]")}


REAL_PLAN = RESOLVE / "real_plan"  # the terraform_modules fixture, planned by Terraform 1.11 (AWS provider 5.100) offline


def test_a_real_terraform_plan_gives_what_its_source_gives():
    from_plan, from_source = scan(REAL_PLAN), scan(MODULES)
    assert from_plan.errors == []
    # the plan is read instead of the .tf files beside it; findings point at the resource declaration
    assert found(from_plan) == {("EICE003", "modules/app/main.tf", 21, "module.app.aws_instance.this")}
    assert sorted(t.address for t in from_plan.scanned.model.targets) == sorted(
        t.address for t in from_source.scanned.model.targets)
    (endpoint,) = from_plan.scanned.model.endpoints
    group = from_plan.scanned.model.security_groups[endpoint.security_groups.keys[0]]
    # a dynamic egress block over groups created by the same apply: known only after apply
    assert group.name == "module.eice.module.security_group.aws_security_group.this"
    assert group.complete is False
    # the endpoint's subnet, known after apply, resolved through module outputs and variables
    assert endpoint.subnet == "live/prod/plan.json::module.network#aws_subnet.private[0]"


def test_a_plan_without_its_source_points_into_the_plan_and_concludes_less(tmp_path):
    plan = (REAL_PLAN / "live" / "prod" / "plan.json").read_text()
    (tmp_path / "plan.json").write_text(plan)
    report = scan(tmp_path)
    assert report.errors == []
    # Lists of ids known only after apply: the plan names the referenced resources, not literal ids
    # written beside them. Without the source to show there are none, those lists are not fully known.
    assert found(report) == set()
    instance = next(t for t in report.scanned.model.targets if t.address == 'module.app["blue"].aws_instance.this[0]')
    assert instance.security_groups.complete is False
    assert instance.security_groups.location.file == "plan.json"
