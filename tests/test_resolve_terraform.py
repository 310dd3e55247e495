"""Terraform values as Terraform resolves them: tfvars and --var, modules, count/for_each, dynamic
blocks, downloaded modules, plan JSON; and Unknown where they cannot be followed."""
from __future__ import annotations

import json

import pytest

from eice_checks.adapters.cli import main
from eice_checks.analysis.paths import Analysis
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
    assert "--var-file missing.tfvars: cannot read: No such file or directory" in capsys.readouterr().err


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


# An endpoint with preservation off whose egress reaches its whole VPC, for tests to add targets to.
ENDPOINT_TF = """
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
"""


def test_only_the_failing_instances_are_named_when_not_all_fail(tmp_path):
    (tmp_path / "main.tf").write_text(ENDPOINT_TF + """locals {
  ssh_from = ["10.0.0.0/16", "198.51.100.0/24"]
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


ASG_MIXED = RESOLVE / "tf_asg_mixed_instances_policy"


def test_auto_scaling_groups_place_the_launch_templates_of_their_mixed_instances_policy():
    report = scan(ASG_MIXED)
    assert report.errors == []
    assert {(r, f, line) for r, f, line, _ in found(report)} == expected_markers(ASG_MIXED)
    # the batch group's templates are out of the endpoint's reach (one finding on the endpoint); the
    # bastions, placed in a public subnet, are reached directly and not judged (no EICE003 on them)
    assert found(report) == {("EICE001", "main.tf", 50, "aws_ec2_instance_connect_endpoint.this")}
    model = report.scanned.model
    assert {t.address: t.subnets for t in model.targets} == {
        "aws_launch_template.pass_app": (".#aws_subnet.app[0]", ".#aws_subnet.app[1]"),
        "aws_launch_template.fail_batch": (".#aws_subnet.batch",),  # named by launch_template_name
        "aws_launch_template.fail_batch_arm64": (".#aws_subnet.batch",),  # an override's own template
        "aws_launch_template.pass_bastion": (".#aws_subnet.public",),
        "aws_launch_template.pass_bastion_arm64": (".#aws_subnet.public",),
    }
    assert {p.target.address: p.egress[22] for p in Analysis(model).paths} == {
        "aws_launch_template.pass_app": True,
        "aws_launch_template.fail_batch": False,
        "aws_launch_template.fail_batch_arm64": False,
    }


def test_a_group_places_templates_and_configurations_of_other_modules(tmp_path):
    (tmp_path / "main.tf").write_text("""
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_subnet" "private" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.2.0/24"
}
module "workers" {
  source = "./workers"
}
resource "aws_autoscaling_group" "workers" {
  min_size            = 1
  max_size            = 2
  vpc_zone_identifier = [aws_subnet.private.id]
  mixed_instances_policy {
    launch_template {
      launch_template_specification {
        launch_template_id = module.workers.launch_template_id
      }
    }
  }
}
resource "aws_launch_configuration" "legacy" {
  name          = "legacy"
  image_id      = "ami-1"
  instance_type = "t3.micro"
}
resource "aws_autoscaling_group" "legacy" {
  min_size             = 1
  max_size             = 2
  vpc_zone_identifier  = [aws_subnet.private.id]
  launch_configuration = aws_launch_configuration.legacy.name
}
""")
    (tmp_path / "workers").mkdir()
    (tmp_path / "workers" / "main.tf").write_text("""
resource "aws_launch_template" "this" {
  image_id = "ami-1"
}
output "launch_template_id" {
  value = aws_launch_template.this.id
}
""")
    model = scan(tmp_path).scanned.model
    assert {t.address: t.subnets for t in model.targets} == {
        "module.workers.aws_launch_template.this": (".#aws_subnet.private",),
        "aws_launch_configuration.legacy": (".#aws_subnet.private",),  # by its name, which is its id
    }


PREFIX_LISTS = RESOLVE / "tf_prefix_list"


def test_rules_naming_prefix_lists_of_the_scan_are_judged_by_their_cidrs():
    report = scan(PREFIX_LISTS)
    assert report.errors == []
    assert {(r, f, line) for r, f, line, _ in found(report)} == expected_markers(PREFIX_LISTS)
    assert found(report) == {
        ("EICE003", "main.tf", 56, "aws_instance.fail_vpc_range_with_preservation"),
        ("EICE005", "main.tf", 133, "aws_instance.fail_world_open"),
        ("EICE003", "main.tf", 353, "aws_instance.fail_partner_ranges"),
    }
    messages = {f.resource: f.message for f in report.findings}
    assert messages["aws_instance.fail_vpc_range_with_preservation"].startswith(
        "aws_instance.fail_vpc_range_with_preservation (instance) admits tcp 22 from "
        "aws_ec2_managed_prefix_list.admins (10.80.0.0/16) for aws_ec2_instance_connect_endpoint.main, ")
    assert "also admits tcp 22 from aws_ec2_managed_prefix_list.anywhere (0.0.0.0/0)" in messages["aws_instance.fail_world_open"]
    model = report.scanned.model
    assert {p.name: (p.complete, sorted(str(c) for c in p.cidrs)) for p in model.prefix_lists.values()} == {
        "aws_ec2_managed_prefix_list.admins": (True, ["10.80.0.0/16"]),
        "aws_ec2_managed_prefix_list.offices": (True, ["198.51.100.0/24", "203.0.113.0/24"]),  # dynamic "entry"
        "aws_ec2_managed_prefix_list.anywhere": (True, ["0.0.0.0/0"]),
        "aws_ec2_managed_prefix_list.on_premises": (True, ["172.20.0.0/16"]),
        "aws_ec2_managed_prefix_list.managed_elsewhere": (False, ["10.80.0.0/16"]),  # ignore_changes = [entry]
        "aws_ec2_managed_prefix_list.with_shared_services": (False, ["10.80.0.0/16"]),  # an entry from a data source
        "aws_ec2_managed_prefix_list.legacy_private": (True, ["10.81.10.0/24"]),
        "aws_ec2_managed_prefix_list.eice_sources": (True, ["10.81.1.0/24"]),  # entry resources
        "aws_ec2_managed_prefix_list.partners": (True, ["192.0.2.0/24", "198.51.100.64/26"]),  # for_each entries
        "aws_ec2_managed_prefix_list.contractors": (False, ["192.0.2.128/25"]),  # handed to a module not downloaded
    }
    paths = {p.target.address: p for p in Analysis(model).paths}
    # a range in a prefix list shows intent as the same range written in the rule would: SSH from an
    # on-premises range is meant for something else; the endpoint's egress reaches through a prefix list
    assert sorted(paths) == [
        "aws_instance.fail_partner_ranges", "aws_instance.fail_vpc_range_with_preservation",
        "aws_instance.fail_world_open", "aws_instance.pass_endpoint_subnet", "aws_instance.pass_entries_added_elsewhere",
        "aws_instance.pass_entries_not_known", "aws_instance.pass_office_ranges",
        "aws_instance.pass_prefix_lists_outside_scan",
    ]
    assert paths["aws_instance.pass_endpoint_subnet"].egress[22] is True
    assert paths["aws_instance.pass_endpoint_subnet"].admitted is True
    assert paths["aws_instance.pass_entries_not_known"].admitted is None


INLINE_ENTRY = 'entry {\n    cidr = "198.51.100.0/24"\n  }'


@pytest.mark.parametrize("entries, extra, expected", [
    # known: a public range, which the endpoint's traffic never comes from with preservation off
    (INLINE_ENTRY, "", {("EICE003", "main.tf", 37, "aws_instance.app")}),
    # no entry in the scan: nothing says what it holds
    ("", "", set()),
    # inline entries and an entry resource on one prefix list overwrite each other
    (INLINE_ENTRY, 'resource "aws_ec2_managed_prefix_list_entry" "more" {\n'
     '  prefix_list_id = aws_ec2_managed_prefix_list.ssh.id\n  cidr           = "203.0.113.0/24"\n}', set()),
    # an entry resource whose prefix list cannot be resolved may add to any prefix list of its module
    (INLINE_ENTRY, 'variable "shared_list" {}\nresource "aws_ec2_managed_prefix_list_entry" "shared" {\n'
     '  prefix_list_id = var.shared_list\n  cidr           = "10.0.1.0/24"\n}', set()),
    # entry resources only, one of them created or not depending on a variable without a value
    ("", 'variable "extra" {}\nresource "aws_ec2_managed_prefix_list_entry" "office" {\n'
     '  prefix_list_id = aws_ec2_managed_prefix_list.ssh.id\n  cidr           = "198.51.100.0/24"\n}\n'
     'resource "aws_ec2_managed_prefix_list_entry" "more" {\n  count          = var.extra ? 1 : 0\n'
     '  prefix_list_id = aws_ec2_managed_prefix_list.ssh.id\n  cidr           = "203.0.113.0/24"\n}', set()),
    ("", 'resource "aws_ec2_managed_prefix_list_entry" "office" {\n'
     '  prefix_list_id = aws_ec2_managed_prefix_list.ssh.id\n  cidr           = "198.51.100.0/24"\n}',
     {("EICE003", "main.tf", 35, "aws_instance.app")}),
])
def test_a_prefix_list_is_known_only_when_all_its_entries_are(tmp_path, entries, extra, expected):
    (tmp_path / "main.tf").write_text(PREFIX_LIST_TF.replace("ENTRIES", entries).replace("EXTRA", extra))
    assert found(scan(tmp_path)) == expected


def test_an_entry_for_a_prefix_list_of_unknown_id_may_add_to_any_the_scan_hands_out(tmp_path):
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "main.tf").write_text(PREFIX_LIST_TF.replace("ENTRIES", INLINE_ENTRY).replace(
        "EXTRA", 'output "ssh_list" {\n  value = aws_ec2_managed_prefix_list.ssh.id\n}'))
    assert found(scan(tmp_path)) == {("EICE003", "lists/main.tf", 37, "aws_instance.app")}
    (tmp_path / "entries").mkdir()
    (tmp_path / "entries" / "main.tf").write_text(
        'variable "prefix_list_id" {}\nresource "aws_ec2_managed_prefix_list_entry" "vpn" {\n'
        '  prefix_list_id = var.prefix_list_id\n  cidr           = "10.0.1.0/24"\n}\n')
    assert found(scan(tmp_path)) == set()


PREFIX_LIST_TF = ENDPOINT_TF + """resource "aws_ec2_managed_prefix_list" "ssh" {
  name           = "ssh"
  address_family = "IPv4"
  max_entries    = 5
  ENTRIES
}
resource "aws_security_group" "app" {
  vpc_id = aws_vpc.main.id
  ingress {
    from_port       = 22
    to_port         = 22
    protocol        = "tcp"
    prefix_list_ids = [aws_ec2_managed_prefix_list.ssh.id]
  }
}
resource "aws_instance" "app" {
  ami                    = "ami-1"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.a.id
  vpc_security_group_ids = [aws_security_group.app.id]
}
EXTRA
"""


def test_instances_collapse_per_configuration_when_another_holds_the_same_addresses():
    # REAL_PLAN is the plan of the same configuration: the same module.app["..."].aws_instance.this
    # instances in another configuration must not keep each one's findings apart.
    report = scan(RESOLVE, paths=["terraform_modules", "real_plan"])
    assert found(report) == {
        ("EICE003", "terraform_modules/modules/app/main.tf", 29, "module.app.aws_instance.this"),
        ("EICE003", "real_plan/modules/app/main.tf", 21, "module.app.aws_instance.this")}


def test_a_dynamic_block_over_a_set_of_group_references():
    # each element of the set is a reference (not a string): bound as egress.value, one rule each
    folder = RESOLVE / "tf_dynamic_over_group_ids"
    report = scan(folder)
    assert report.errors == []
    assert found(report) == {("EICE001", "main.tf", 58, "aws_ec2_instance_connect_endpoint.this")}
    assert {(r, f, line) for r, f, line, _ in found(report)} == expected_markers(folder)
    (finding,) = report.findings
    assert "cannot reach aws_instance.fail_db" in finding.message
    (group,) = [g for g in report.scanned.model.security_groups.values() if g.name == "aws_security_group.eice"]
    assert [r.peer.label for r in group.egress] == ["aws_security_group.web"]


def test_a_module_for_each_over_another_modules_outputs_is_no_cycle():
    # module.app's for_each reads module.network's outputs: network is instantiated first, on demand
    folder = RESOLVE / "tf_module_for_each_over_module_outputs"
    report = scan(folder)
    assert report.errors == []
    assert found(report) == {("EICE002", "modules/app/main.tf", 9, 'module.app["db"].aws_instance.this')}
    assert {(r, f, line) for r, f, line, _ in found(report)} == expected_markers(folder)
    assert sorted(t.address for t in report.scanned.model.targets) == [
        'module.app["db"].aws_instance.this', 'module.app["web"].aws_instance.this']


def test_a_module_whose_for_each_reads_its_own_outputs_is_a_cycle(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "main.tf").write_text('variable "n" {}\noutput "names" {\n  value = ["a", "b"]\n}\n')
    (tmp_path / "main.tf").write_text('module "loop" {\n  source   = "./m"\n'
                                      '  for_each = toset(module.loop["a"].names)\n  n        = each.key\n}\n')
    report = scan(tmp_path)
    assert [(e.file, e.line, e.message) for e in report.errors] == [
        ("main.tf", 1, "module.loop: its count/for_each depends on the module's own outputs (a reference cycle); unknown")]


def test_an_egress_matrix_made_with_set_functions():
    # setunion() of the targets' groups, setproduct() with the admin ports: one egress rule per pair
    folder = RESOLVE / "tf_rule_matrix_functions"
    report = scan(folder)
    assert report.errors == []
    assert found(report) == {("EICE001", "main.tf", 35, "aws_ec2_instance_connect_endpoint.this")}
    assert {(r, f, line) for r, f, line, _ in found(report)} == expected_markers(folder)
    (finding,) = report.findings
    assert "cannot reach aws_instance.fail_legacy" in finding.message
    (group,) = [g for g in report.scanned.model.security_groups.values() if g.name == "aws_security_group.eice"]
    assert group.complete
    assert sorted((r.ports, r.peer.label) for r in group.egress) == [
        ((22, 22), "aws_security_group.db"), ((22, 22), "aws_security_group.web"),
        ((3389, 3389), "aws_security_group.db"), ((3389, 3389), "aws_security_group.web")]
