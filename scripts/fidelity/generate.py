"""Random, valid Terraform root modules for the differential harness (see harness.py).

``generate(seed)`` returns {relative path: text}: a root module (main.tf, terraform.tfvars) and,
for some seeds, a local module (modules/app) with inputs and outputs. Security-group ids, ports,
protocols, CIDRs and subnets flow through typed variables (nullable, optional(), validation),
tfvars (strings for bools and numbers), locals, for expressions, conditionals, count/for_each
(maps, sets, toset of lists), splats and the functions the README lists. Same seed, same module.
"""
from __future__ import annotations

import json
import random

PROVIDER = """terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "x"
  secret_key                  = "x"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}
"""


class _Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.vars: list[str] = []
        self.tfvars: list[str] = []
        self.locals: list[str] = []
        self.body: list[str] = []

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def pick(self, *options):
        return self.r.choice(options)

    def var(self, name: str, type_: str, default=None, tfvalue=None, nullable=None, validation=None) -> None:
        lines = [f'variable "{name}" {{', f"  type = {type_}"]
        if default is not None:
            lines.append(f"  default = {default}")
        if nullable is not None:
            lines.append(f"  nullable = {nullable}")
        if validation:
            lines += ["  validation {", f"    condition     = {validation}", '    error_message = "invalid"', "  }"]
        lines.append("}")
        self.vars.append("\n".join(lines))
        if tfvalue is not None:
            self.tfvars.append(f"{name} = {tfvalue}")


def generate(seed: int) -> dict[str, str]:
    g = _Gen(seed)
    r = g.r
    octet = r.randint(1, 250)
    vpc_cidr = f"10.{octet}.0.0/16"
    preserve = g.pick("true", "false", None)

    # -- variables ----------------------------------------------------------------------------
    g.var("vpc_cidr", "string", json.dumps(vpc_cidr))
    port = g.pick(22, 22, 22, 3389, 443)
    port_tf = g.pick(f'"{port}"', str(port), None)
    validation = g.pick(None, "var.ssh_port > 0 && var.ssh_port < 65536", "var.ssh_port != 8080")
    if validation and validation.endswith("8080") and g.chance(0.15):
        port_tf = '"8080"'  # fails its validation: Terraform rejects the plan
    g.var("ssh_port", "number", "22", port_tf if port_tf != "22" else None, validation=validation)
    enable = g.pick("true", "false", '"true"', '"false"', '"1"', None)
    g.var("enable_eice", "bool", "true", enable)
    proto_default = g.pick('"tcp"', '"-1"', '"6"')
    nullable = g.pick("false", None)
    # null only where it falls back to the default: a null protocol is a plan error
    g.var("protocol", "string", proto_default, g.pick(None, "null" if nullable else None, '"tcp"'), nullable=nullable)
    admin_type = g.pick("list(string)", "set(string)")
    admin = [g.pick(vpc_cidr, "0.0.0.0/0", "198.51.100.0/24", f"10.{octet}.1.0/24") for _ in range(r.randint(1, 3))]
    if admin_type == "set(string)" and g.chance(0.5):
        admin.append(admin[0])
    g.var("admin_cidrs", admin_type, json.dumps(admin),
          json.dumps(list(reversed(admin))) if g.chance(0.3) else None,
          validation=g.pick(None, 'alltrue([for c in var.admin_cidrs : can(cidrhost(c, 0))])'))
    g.var("rule", "object({ port = optional(number, 22), protocol = optional(string, \"tcp\"), cidr = optional(string) })",
          g.pick("{}", "{ port = 22 }", f'{{ cidr = "{vpc_cidr}" }}', '{ port = "3389" }'),
          g.pick(None, "{}", f'{{ protocol = "tcp", cidr = "{vpc_cidr}" }}', '{ port = null }'))
    existing = [f"sg-0{r.randrange(16**15):015x}" for _ in range(r.randint(0, 2))]
    g.var("existing_sg_ids", "list(string)", json.dumps(existing))
    apps = [g.pick("web", "db", "api", "ops") for _ in range(r.randint(1, 3))]
    apps_type = g.pick("set(string)", "list(string)", "map(string)")
    if apps_type == "map(string)":
        g.var("apps", apps_type, json.dumps({a: a for a in apps}).replace(":", " ="))
    else:
        g.var("apps", apps_type, json.dumps(apps))
    subnet_count = r.randint(1, 3)
    g.var("subnet_count", "number", str(subnet_count), g.pick(None, f'"{subnet_count}"'))

    # -- network -------------------------------------------------------------------------------
    g.body.append('resource "aws_vpc" "main" {\n  cidr_block = var.vpc_cidr\n}')
    subnet_style = g.pick("count", "for_each")
    if subnet_style == "count":
        g.body.append('resource "aws_subnet" "private" {\n  count      = var.subnet_count\n  vpc_id     = aws_vpc.main.id\n'
                      '  cidr_block = cidrsubnet(var.vpc_cidr, 8, count.index + 10)\n}')
        subnet_ref = g.pick("aws_subnet.private[0].id", "element(aws_subnet.private[*].id, 0)",
                            "(aws_subnet.private[*].id)[0]", "local.subnet_ids[0]")
        g.locals.append("subnet_ids = aws_subnet.private[*].id")
    else:
        g.locals.append('subnet_map = { for i in range(var.subnet_count) : "s${i}" => cidrsubnet(var.vpc_cidr, 8, i + 10) }')
        g.body.append('resource "aws_subnet" "private" {\n  for_each   = local.subnet_map\n  vpc_id     = aws_vpc.main.id\n'
                      '  cidr_block = each.value\n}')
        subnet_ref = g.pick('aws_subnet.private["s0"].id', 'values(aws_subnet.private)[0].id',
                            'lookup(local.subnet_by_key, "s0")')
        g.locals.append("subnet_by_key = { for k, s in aws_subnet.private : k => s.id }")

    # -- endpoint's group ------------------------------------------------------------------------
    eice_egress_port = g.pick("var.ssh_port", "22", "local.port", "var.rule.port")
    g.locals.append("port = var.ssh_port")
    protocol_expr = g.pick("var.protocol", '"tcp"', "var.rule.protocol")
    eice_style = g.pick("inline", "rule", "vpc_rule", "none")
    if eice_style == "inline":
        g.body.append(f'resource "aws_security_group" "eice" {{\n  vpc_id = aws_vpc.main.id\n  egress {{\n'
                      f'    from_port   = {eice_egress_port}\n    to_port     = {eice_egress_port}\n'
                      f'    protocol    = {protocol_expr}\n    cidr_blocks = [var.vpc_cidr]\n  }}\n}}')
    else:
        g.body.append('resource "aws_security_group" "eice" {\n  vpc_id = aws_vpc.main.id\n}')
    if eice_style == "rule":
        g.body.append(f'resource "aws_security_group_rule" "eice_out" {{\n  type              = "egress"\n'
                      f'  security_group_id = local.eice_sg\n  from_port         = {eice_egress_port}\n'
                      f'  to_port           = {eice_egress_port}\n  protocol          = {protocol_expr}\n'
                      f'  cidr_blocks       = [aws_vpc.main.cidr_block]\n}}')
    elif eice_style == "vpc_rule":
        g.body.append(f'resource "aws_vpc_security_group_egress_rule" "eice_out" {{\n'
                      f'  security_group_id = local.eice_sg\n  from_port         = {eice_egress_port}\n'
                      f'  to_port           = {eice_egress_port}\n  ip_protocol       = {protocol_expr}\n'
                      f'  cidr_ipv4         = var.vpc_cidr\n}}')
    g.locals.append(g.pick('eice_sg = aws_security_group.eice.id', 'eice_sg = one(aws_security_group.eice[*].id)',
                           'eice_sg = try(aws_security_group.eice.id, null)'))
    gate = g.pick("var.enable_eice ? 1 : 0", "var.enable_eice == true ? 1 : 0", "1")
    pres = f"\n  preserve_client_ip = {preserve}" if preserve else ""
    sgs = g.pick("[local.eice_sg]", "concat([aws_security_group.eice.id], [])", "[aws_security_group.eice.id]")
    g.body.append(f'resource "aws_ec2_instance_connect_endpoint" "this" {{\n  count              = {gate}\n'
                  f'  subnet_id          = {subnet_ref}\n  security_group_ids = {sgs}{pres}\n}}')

    # -- targets -------------------------------------------------------------------------------
    use_module = g.chance(0.4)
    target_port = g.pick("var.ssh_port", "local.port", "var.rule.port", "22", "3389")
    peer = g.pick("sg", "sg", "cidr_var", "cidr_rule", "admin")
    for_each = g.pick("var.apps", "toset(var.apps)", "count") if apps_type != "map(string)" else g.pick("var.apps", "count")
    if for_each == "count":
        expansion = "count = length(var.apps)"
        key = "count.index"
    else:
        if for_each == "var.apps" and apps_type == "list(string)":
            for_each = "toset(var.apps)"
        expansion = f"for_each = {for_each}"
        key = "each.key"
    target_style = g.pick("inline", "rule", "vpc_rule")
    files: dict[str, str] = {}
    if use_module:
        mod = ["variable \"vpc_id\" { type = string }", "variable \"subnet_id\" { type = string }",
               "variable \"eice_sg\" {\n  type    = string\n  default = null\n}",
               "variable \"port\" { type = number }", "variable \"cidrs\" {\n  type    = list(string)\n  default = []\n}",
               "variable \"extra_sg_ids\" {\n  type     = list(string)\n  default  = []\n  nullable = false\n}",
               "variable \"names\" { type = set(string) }"]
        mod.append(_target_group("var.vpc_id", target_style, "var.port", _peer_expr(peer, "var.eice_sg", "var.cidrs"),
                                 "var.port", in_root=False))
        mod.append(f'resource "aws_instance" "app" {{\n  for_each               = var.names\n  ami                    = "ami-12345678"\n'
                   f'  instance_type          = "t3.micro"\n  subnet_id              = var.subnet_id\n'
                   f'  vpc_security_group_ids = concat([aws_security_group.app.id], var.extra_sg_ids)\n}}')
        mod.append('output "sg_id" { value = aws_security_group.app.id }')
        mod.append('output "instance_ids" { value = [for i in aws_instance.app : i.id] }')
        files["modules/app/main.tf"] = "\n\n".join(mod) + "\n"
        names = "toset(var.apps)" if apps_type != "map(string)" else "toset(keys(var.apps))"
        extra = g.pick("var.existing_sg_ids", "null", "[]")
        g.body.append(f'module "app" {{\n  source       = "./modules/app"\n  vpc_id       = aws_vpc.main.id\n'
                      f'  subnet_id    = {subnet_ref}\n  eice_sg      = local.eice_sg\n  port         = {target_port}\n'
                      f'  cidrs        = var.admin_cidrs\n  extra_sg_ids = {extra}\n  names        = {names}\n}}')
        if target_style != "inline" and g.chance(0.5):
            # a rule in the root whose target group sits in the module
            g.body.append(f'resource "aws_vpc_security_group_ingress_rule" "app_from_root" {{\n'
                          f'  security_group_id            = module.app.sg_id\n  referenced_security_group_id = local.eice_sg\n'
                          f'  ip_protocol                  = "tcp"\n  from_port                    = {target_port}\n'
                          f'  to_port                      = {target_port}\n}}')
    else:
        g.body.append(_target_group("aws_vpc.main.id", target_style, target_port,
                                    _peer_expr(peer, "local.eice_sg", "var.admin_cidrs"), target_port, in_root=True))
        groups = g.pick("[aws_security_group.app.id]", "concat([aws_security_group.app.id], var.existing_sg_ids)",
                        "local.app_groups", "distinct([aws_security_group.app.id, aws_security_group.app.id])")
        g.locals.append("app_groups = flatten([[aws_security_group.app.id], var.existing_sg_ids])")
        g.body.append(f'resource "aws_instance" "app" {{\n  {expansion}\n  ami                    = "ami-12345678"\n'
                      f'  instance_type          = "t3.micro"\n  subnet_id              = {subnet_ref}\n'
                      f'  vpc_security_group_ids = {groups}\n  tags = {{ Name = format("app-%s", {key}) }}\n}}')
    # drawn last, so that the rest of each seed's module stays as it was: for some seeds, as many
    # endpoints as a number variable says, given as a string in the tfvars (two in one VPC: EICE008)
    if g.chance(0.2):
        count = g.pick("1", "2")
        g.var("endpoint_count", "number", "1", f'"{count}"')
        for i, block in enumerate(g.body):
            if block.startswith('resource "aws_ec2_instance_connect_endpoint"'):
                g.body[i] = block.replace(f"count              = {gate}", "count              = var.endpoint_count")
    main = [PROVIDER] + g.vars + ["locals {\n" + "\n".join("  " + l for l in g.locals) + "\n}"] + g.body
    files["main.tf"] = "\n\n".join(main) + "\n"
    if g.tfvars:
        files["terraform.tfvars"] = "\n".join(g.tfvars) + "\n"
    return files


def _peer_expr(peer: str, eice_sg: str, cidrs: str) -> tuple[str, str]:
    """(kind, expression) of the target rule's source."""
    if peer == "sg":
        return "sg", eice_sg
    if peer == "cidr_var":
        return "cidrs", "[var.vpc_cidr]" if eice_sg.startswith("local") else cidrs
    if peer == "cidr_rule":
        return "cidrs", '[coalesce(var.rule.cidr, "0.0.0.0/0")]' if eice_sg.startswith("local") else cidrs
    return "cidrs", cidrs


def _target_group(vpc: str, style: str, port: str, peer: tuple[str, str], to_port: str, in_root: bool) -> str:
    kind, expr = peer
    if style == "inline":
        source = f"security_groups = [{expr}]" if kind == "sg" else f"cidr_blocks     = {expr}"
        if kind == "sg" and not in_root:
            source = f"security_groups = compact([{expr}])"
        return (f'resource "aws_security_group" "app" {{\n  vpc_id = {vpc}\n  ingress {{\n    from_port       = {port}\n'
                f'    to_port         = {to_port}\n    protocol        = "tcp"\n    {source}\n  }}\n}}')
    group = f'resource "aws_security_group" "app" {{\n  vpc_id = {vpc}\n}}'
    if style == "rule":
        source = f"source_security_group_id = {expr}" if kind == "sg" else f"cidr_blocks              = {expr}"
        return group + (f'\n\nresource "aws_security_group_rule" "app_in" {{\n  type                     = "ingress"\n'
                        f'  security_group_id        = aws_security_group.app.id\n  from_port                = {port}\n'
                        f'  to_port                  = {to_port}\n  protocol                 = "tcp"\n  {source}\n}}')
    if kind == "sg":
        return group + (f'\n\nresource "aws_vpc_security_group_ingress_rule" "app_in" {{\n'
                        f'  security_group_id            = aws_security_group.app.id\n'
                        f'  referenced_security_group_id = {expr}\n  ip_protocol                  = "tcp"\n'
                        f'  from_port                    = {port}\n  to_port                      = {to_port}\n}}')
    return group + (f'\n\nresource "aws_vpc_security_group_ingress_rule" "app_in" {{\n  for_each          = toset({expr})\n'
                    f'  security_group_id = aws_security_group.app.id\n  cidr_ipv4         = each.value\n'
                    f'  ip_protocol       = "tcp"\n  from_port         = {port}\n  to_port           = {to_port}\n}}')


if __name__ == "__main__":
    import sys

    for path, text in generate(int(sys.argv[1]) if len(sys.argv) > 1 else 0).items():
        print(f"# ---- {path}\n{text}")
