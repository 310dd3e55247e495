#!/usr/bin/env python3
"""Benchmark: scan time against input size, and start-up cost.

Generates a Terraform tree of N root modules, each calling a shared local `network` module and an
`app` module with for_each over three colors (each app with count = 2 instances), plus N
CloudFormation templates of the same shape; scans it in-process and prints the time per size and
the ratio between the largest and smallest size. Linear analysis shows a time ratio close to the
size ratio. Also times `eice-checks --version` and a scan of one small template and one small
module in a fresh interpreter (start-up dominates pre-commit runs), and one generated .tf file of
about 5 MB.

With --against REV, the Terraform half of each tree is also scanned by the eice-checks of git
revision REV (its package extracted to a temporary folder), in the same run on the same files:
each side runs in its own interpreter, alternately, best of --repeat. Revisions before the
tree-sitter parser read Terraform with python-hcl2, which must then be importable.

usage: python benchmarks/bench.py [--sizes 50,200] [--repeat 3] [--against REV] [--big-file-mb 5]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT_MODULE = """\
module "network" {{
  source = "../modules/network"
  cidr   = "10.{n}.0.0/16"
}}

module "app" {{
  source   = "../modules/app"
  for_each = toset(["blue", "green", "red"])

  name        = each.key
  vpc_id      = module.network.vpc_id
  subnet_ids  = module.network.subnet_ids
  endpoint_sg = aws_security_group.eice.id
}}

resource "aws_security_group" "eice" {{
  vpc_id = module.network.vpc_id
  dynamic "egress" {{
    for_each = {{ for color, app in module.app : color => app.security_group_id }}
    content {{
      from_port       = 22
      to_port         = 22
      protocol        = "tcp"
      security_groups = [egress.value]
    }}
  }}
}}

resource "aws_ec2_instance_connect_endpoint" "this" {{
  subnet_id          = module.network.subnet_ids[0]
  security_group_ids = [aws_security_group.eice.id]
  preserve_client_ip = false
}}
"""
NETWORK_MODULE = """\
variable "cidr" {
  type = string
}

resource "aws_vpc" "this" {
  cidr_block = var.cidr
}

resource "aws_subnet" "private" {
  count      = 2
  vpc_id     = aws_vpc.this.id
  cidr_block = cidrsubnet(var.cidr, 8, count.index + 1)
}

output "vpc_id" {
  value = aws_vpc.this.id
}

output "subnet_ids" {
  value = aws_subnet.private[*].id
}
"""
APP_MODULE = """\
variable "name" {}
variable "vpc_id" {}
variable "subnet_ids" {}
variable "endpoint_sg" {}

resource "aws_security_group" "this" {
  name   = "app-${var.name}"
  vpc_id = var.vpc_id
  ingress {
    from_port       = 22
    to_port         = 22
    protocol        = "tcp"
    security_groups = [var.endpoint_sg]
  }
}

resource "aws_instance" "this" {
  count                  = 2
  ami                    = "ami-0123456789abcdef0"
  instance_type          = "t3.micro"
  subnet_id              = element(var.subnet_ids, count.index)
  vpc_security_group_ids = [aws_security_group.this.id]
}

output "security_group_id" {
  value = aws_security_group.this.id
}
"""
CLOUDFORMATION = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {{CidrBlock: 10.{n}.0.0/16}}
  Subnet:
    Type: AWS::EC2::Subnet
    Properties: {{VpcId: !Ref Vpc, CidrBlock: 10.{n}.1.0/24}}
  EndpointSg:
    Type: AWS::EC2::SecurityGroup
    Properties: {{GroupDescription: endpoint, VpcId: !Ref Vpc}}
  AppSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: app
      VpcId: !Ref Vpc
      SecurityGroupIngress:
        - {{IpProtocol: tcp, FromPort: 22, ToPort: 22, SourceSecurityGroupId: !Ref EndpointSg}}
  Endpoint:
    Type: AWS::EC2::InstanceConnectEndpoint
    Properties: {{SubnetId: !Ref Subnet, SecurityGroupIds: [!Ref EndpointSg], PreserveClientIp: false}}
{instances}"""
CFN_INSTANCE = """  App{i}:
    Type: AWS::EC2::Instance
    Properties: {{ImageId: ami-0123456789abcdef0, SubnetId: !Ref Subnet, SecurityGroupIds: [!Ref AppSg]}}
"""


def generate(root: Path, size: int, instances: int = 5) -> None:
    """``root/terraform``: ``size`` root modules and the modules they call; ``root/cloudformation``:
    ``size`` templates."""
    terraform, cloudformation = root / "terraform", root / "cloudformation"
    (terraform / "modules" / "network").mkdir(parents=True)
    (terraform / "modules" / "app").mkdir(parents=True)
    cloudformation.mkdir()
    (terraform / "modules" / "network" / "main.tf").write_text(NETWORK_MODULE)
    (terraform / "modules" / "app" / "main.tf").write_text(APP_MODULE)
    for n in range(size):
        module = terraform / f"live{n:04d}"
        module.mkdir()
        (module / "main.tf").write_text(ROOT_MODULE.format(n=n % 250))
        (cloudformation / f"stack{n:04d}.yaml").write_text(CLOUDFORMATION.format(
            n=n % 250, instances="".join(CFN_INSTANCE.format(i=i) for i in range(instances))))


BIG_FILE_BLOCK = """\
resource "aws_security_group" "app{i}" {{
  name   = "app{i}"
  vpc_id = "vpc-0123456789abcdef0"
  ingress {{
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["10.{a}.{b}.0/24"]
  }}
}}

"""


def generate_big_file(path: Path, megabytes: float) -> None:
    """One .tf file of about ``megabytes`` MB of security groups (a generated configuration)."""
    blocks, size, i = [], 0, 0
    while size < megabytes * 1_000_000:
        block = BIG_FILE_BLOCK.format(i=i, a=i // 256 % 256, b=i % 256)
        blocks.append(block)
        size += len(block)
        i += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(blocks))


WORKER = """
import json, os, sys, time
from eice_checks.config import Config
from eice_checks.engine import run
start = time.perf_counter()
report = run(["."], Config())
print(json.dumps({"seconds": time.perf_counter() - start, "findings": len(report.findings),
                  "errors": len(report.errors)}))
"""


def time_in_fresh_interpreter(package_parent: Path, folder: Path) -> dict:
    """Scan ``folder`` with the eice_checks package found in ``package_parent``, in a new interpreter
    started in ``folder`` (``python -c`` puts its working directory first on the import path)."""
    env = {**os.environ, "PYTHONPATH": str(package_parent)}
    proc = subprocess.run([sys.executable, "-c", WORKER], cwd=folder, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"the scan with {package_parent} failed:\n{proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout)


def extract_revision(revision: str, into: Path) -> Path:
    """The eice_checks package of a git revision, extracted below ``into``."""
    repo = Path(__file__).resolve().parent.parent
    archive = subprocess.run(["git", "-C", str(repo), "archive", revision, "eice_checks"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def compare(revision: str, folders: list[tuple[str, Path, int]], tmp: Path) -> None:
    """Time the current code and ``revision`` alternately on the same folders, best of each's repeats."""
    current = Path(__file__).resolve().parent.parent
    (tmp / "baseline").mkdir()
    old = extract_revision(revision, tmp / "baseline")
    for package in (old / "eice_checks", current / "eice_checks"):  # as installed: bytecode compiled
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True, capture_output=True)
    for name, folder, repeat in folders:
        now, then = float("inf"), float("inf")
        for _ in range(repeat):
            ours = time_in_fresh_interpreter(current, folder)
            theirs = time_in_fresh_interpreter(old, folder)
            now, then = min(now, ours["seconds"]), min(then, theirs["seconds"])
        print(f"{name:<24} {revision}: {then * 1000:9.1f} ms   now: {now * 1000:9.1f} ms   "
              f"{then / now:5.2f}x faster  ({ours['findings']} vs {theirs['findings']} findings, "
              f"{ours['errors']} vs {theirs['errors']} errors)")


def time_scan(root: Path, repeat: int) -> tuple[float, int]:
    from eice_checks.config import Config
    from eice_checks.engine import run

    best = float("inf")
    findings = 0
    cwd = os.getcwd()
    os.chdir(root)
    try:
        for _ in range(repeat):
            start = time.perf_counter()
            report = run(["."], Config())
            best = min(best, time.perf_counter() - start)
            findings = len(report.findings)
    finally:
        os.chdir(cwd)
    return best, findings


def time_command(args: list[str], cwd: Path, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, cwd=cwd, capture_output=True, check=False)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="50,200", help="comma-separated module/template counts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the best is reported")
    parser.add_argument("--against", metavar="REV", help="also time the Terraform scans with git revision REV")
    parser.add_argument("--big-file-mb", type=float, default=5.0, help="size of the generated single .tf file")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            root = Path(tmp) / f"size{size}"
            generate(root, size)
            seconds, findings = time_scan(root, args.repeat)
            results.append((size, seconds))
            print(f"{size:>5} root modules (x3 for_each apps) + {size} templates: {seconds * 1000:8.1f} ms  ({findings} findings)")
        big = Path(tmp) / "big" / "main.tf"
        generate_big_file(big, args.big_file_mb)
        seconds, findings = time_scan(big.parent, 1)
        print(f"one generated .tf file of {big.stat().st_size / 1e6:.1f} MB: {seconds * 1000:8.1f} ms  ({findings} findings)")
        small = Path(tmp) / "size1"
        generate(small, 1)
        command = [sys.executable, "-m", "eice_checks"]
        print(f"start-up, --version:            {time_command(command + ['--version'], small, args.repeat) * 1000:8.1f} ms")
        print(f"start-up + one template:         {time_command(command + ['cloudformation/stack0000.yaml'], small, args.repeat) * 1000:8.1f} ms")
        print(f"start-up + one Terraform root:   {time_command(command + ['terraform'], small, args.repeat) * 1000:8.1f} ms")
        if args.against:
            print(f"side by side with {args.against} (Terraform only, fresh interpreter per scan):")
            folders = [(f"{size} root modules", Path(tmp) / f"size{size}" / "terraform", args.repeat) for size in sizes]
            compare(args.against, folders + [("the generated .tf file", big.parent, 1)], Path(tmp))
    if len(results) > 1:
        (n0, t0), (n1, t1) = results[0], results[-1]
        print(f"size ratio {n1 / n0:.1f}x, time ratio {t1 / t0:.2f}x (linear: about the same)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
