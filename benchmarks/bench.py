#!/usr/bin/env python3
"""Benchmark: scan time against input size, and start-up cost.

Generates N Terraform modules (one directory each: VPC, subnet, endpoint, security groups, a few
instances) and N CloudFormation templates of the same shape, scans them in-process, and prints the
time per size and the ratio between the largest and smallest size. Linear analysis shows a ratio
close to the size ratio. Also times `eice-checks --version` and a scan of one small template in a
fresh interpreter (start-up dominates pre-commit runs).

usage: python benchmarks/bench.py [--sizes 50,200] [--repeat 3]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TERRAFORM = """\
resource "aws_vpc" "main" {{
  cidr_block = "10.{n}.0.0/16"
}}

resource "aws_subnet" "private" {{
  vpc_id     = aws_vpc.main.id
  cidr_block = cidrsubnet(aws_vpc.main.cidr_block, 8, 1)
}}

resource "aws_security_group" "eice" {{
  vpc_id = aws_vpc.main.id
  egress {{
    from_port       = 22
    to_port         = 22
    protocol        = "tcp"
    security_groups = [aws_security_group.app.id]
  }}
}}

resource "aws_security_group" "app" {{
  vpc_id = aws_vpc.main.id
}}

resource "aws_vpc_security_group_ingress_rule" "app_ssh" {{
  security_group_id            = aws_security_group.app.id
  referenced_security_group_id = aws_security_group.eice.id
  ip_protocol                  = "tcp"
  from_port                    = 22
  to_port                      = 22
}}

resource "aws_ec2_instance_connect_endpoint" "this" {{
  subnet_id          = aws_subnet.private.id
  security_group_ids = [aws_security_group.eice.id]
  preserve_client_ip = false
}}
{instances}
"""
INSTANCE = """
resource "aws_instance" "app_{i}" {{
  ami                    = "ami-0123456789abcdef0"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.private.id
  vpc_security_group_ids = [aws_security_group.app.id]
  tags = {{ Name = "app-{i}" }}
}}
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
    for n in range(size):
        module = root / f"module{n:04d}"
        module.mkdir(parents=True)
        (module / "main.tf").write_text(TERRAFORM.format(
            n=n % 250, instances="".join(INSTANCE.format(i=i) for i in range(instances))))
        (root / f"stack{n:04d}.yaml").write_text(CLOUDFORMATION.format(
            n=n % 250, instances="".join(CFN_INSTANCE.format(i=i) for i in range(instances))))


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
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            root = Path(tmp) / f"size{size}"
            generate(root, size)
            seconds, findings = time_scan(root, args.repeat)
            results.append((size, seconds))
            print(f"{size:>5} modules + {size} templates: {seconds * 1000:8.1f} ms  ({findings} findings)")
        small = Path(tmp) / "size1"
        generate(small, 1)
        command = [sys.executable, "-m", "eice_checks"]
        print(f"start-up, --version:            {time_command(command + ['--version'], small, args.repeat) * 1000:8.1f} ms")
        print(f"start-up + one template:         {time_command(command + ['stack0000.yaml'], small, args.repeat) * 1000:8.1f} ms")
        print(f"start-up + one Terraform module: {time_command(command + ['module0000'], small, args.repeat) * 1000:8.1f} ms")
    if len(results) > 1:
        (n0, t0), (n1, t1) = results[0], results[-1]
        print(f"size ratio {n1 / n0:.1f}x, time ratio {t1 / t0:.2f}x (linear: about the same)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
