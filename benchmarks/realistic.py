"""A generator of realistic repositories for the peer benchmark (benchmarks/peers.py).

``generate(root, n)`` writes ``root/cloudformation``: ``n`` templates in team folders, of mixed
sizes (most a small stack, some a service with a launch template, an Auto Scaling group, IAM and
buckets, one in ten a large stack of some 60 resources with parameters, conditions and outputs),
and ``root/terraform``: ``n`` root modules (``main.tf``, ``variables.tf``, ``terraform.tfvars``)
in environment folders, each calling shared local modules (``network`` with counted subnets, an
``eice`` module, and a ``service`` module with ``for_each`` over a map of 1 to 12 services, each
with ``count`` instances). A few stacks and roots hold a mistake on purpose (a CIDR that does not
match the endpoint's preservation mode, a missing ingress rule), so the scans have findings to
report. Everything is drawn from ``random.Random(seed)``: the same ``n`` and seed, the same files.
"""
from __future__ import annotations

import random
from pathlib import Path

CFN_HEAD = """\
AWSTemplateFormatVersion: "2010-09-09"
Description: {team} stack {n}
Parameters:
  Env: {{Type: String, Default: prod, AllowedValues: [dev, staging, prod]}}
  ImageId: {{Type: "AWS::EC2::Image::Id", Default: ami-0123456789abcdef0}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.{a}.0.0/16
      Tags: [{{Key: Name, Value: !Sub "${{Env}}-{team}-{n}"}}]
  Subnet:
    Type: AWS::EC2::Subnet
    Properties: {{VpcId: !Ref Vpc, CidrBlock: 10.{a}.1.0/24, AvailabilityZone: !Select [0, !GetAZs ""]}}
  EndpointSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: endpoint
      VpcId: !Ref Vpc
      SecurityGroupEgress:
        - {{IpProtocol: tcp, FromPort: 22, ToPort: 22, DestinationSecurityGroupId: !Ref AppSg}}
  Endpoint:
    Type: AWS::EC2::InstanceConnectEndpoint
    Properties: {{SubnetId: !Ref Subnet, SecurityGroupIds: [!Ref EndpointSg], PreserveClientIp: {preserve}}}
  AppSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: app
      VpcId: !Ref Vpc
      SecurityGroupIngress:
        - {{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/8}}
  AppAdmin:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: {{GroupId: !GetAtt AppSg.GroupId, IpProtocol: tcp, FromPort: 22, ToPort: 22, {source}}}
"""
CFN_INSTANCE = """\
  App{i}:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: !Ref ImageId
      InstanceType: !If [IsProd, m5.large, t3.micro]
      SubnetId: !Ref Subnet
      SecurityGroupIds: [!GetAtt AppSg.GroupId]
      Tags: [{{Key: Name, Value: !Sub "app-{i}-${{Env}}"}}]
"""
CFN_SERVICE = """\
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: "sts:AssumeRole"}]
      ManagedPolicyArns: [!Sub "arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"]
  Profile:
    Type: AWS::IAM::InstanceProfile
    Properties: {Roles: [!Ref Role]}
  LaunchTemplate:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        ImageId: !Ref ImageId
        InstanceType: t3.small
        IamInstanceProfile: {Arn: !GetAtt Profile.Arn}
        SecurityGroupIds: [!Ref AppSg]
  Workers:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      MinSize: "1"
      MaxSize: "4"
      VPCZoneIdentifier: [!Ref Subnet]
      LaunchTemplate: {LaunchTemplateId: !Ref LaunchTemplate, Version: !GetAtt LaunchTemplate.LatestVersionNumber}
"""
CFN_BUCKET = """\
  Bucket{i}:
    Type: AWS::S3::Bucket
    Condition: IsProd
    Properties:
      BucketEncryption:
        ServerSideEncryptionConfiguration: [{{ServerSideEncryptionByDefault: {{SSEAlgorithm: AES256}}}}]
      VersioningConfiguration: {{Status: Enabled}}
      PublicAccessBlockConfiguration: {{BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true}}
  Queue{i}:
    Type: AWS::SQS::Queue
    Properties: {{MessageRetentionPeriod: 345600, SqsManagedSseEnabled: true}}
"""
CFN_OUTPUTS = """\
Outputs:
  VpcId: {Value: !Ref Vpc, Export: {Name: !Sub "${AWS::StackName}-vpc"}}
  EndpointId: {Value: !Ref Endpoint}
"""

TF_NETWORK = """\
variable "cidr" { type = string }
variable "subnets" { type = number }
variable "tags" { type = map(string) }

resource "aws_vpc" "this" {
  cidr_block           = var.cidr
  enable_dns_hostnames = true
  tags                 = var.tags
}

resource "aws_subnet" "private" {
  count      = var.subnets
  vpc_id     = aws_vpc.this.id
  cidr_block = cidrsubnet(var.cidr, 8, count.index + 1)
  tags       = merge(var.tags, { Name = "private-${count.index}" })
}

output "vpc_id" { value = aws_vpc.this.id }
output "vpc_cidr" { value = aws_vpc.this.cidr_block }
output "subnet_ids" { value = aws_subnet.private[*].id }
"""
TF_EICE = """\
variable "vpc_id" { type = string }
variable "subnet_id" { type = string }
variable "target_sgs" { type = map(string) }
variable "preserve_client_ip" { type = bool }

resource "aws_security_group" "eice" {
  name   = "eice"
  vpc_id = var.vpc_id
}

resource "aws_vpc_security_group_egress_rule" "ssh" {
  for_each                     = var.target_sgs
  security_group_id            = aws_security_group.eice.id
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = 22
  to_port                      = 22
}

resource "aws_ec2_instance_connect_endpoint" "this" {
  subnet_id          = var.subnet_id
  security_group_ids = [aws_security_group.eice.id]
  preserve_client_ip = var.preserve_client_ip
}

output "security_group_id" { value = aws_security_group.eice.id }
"""
TF_SERVICE = """\
variable "name" { type = string }
variable "vpc_id" { type = string }
variable "subnet_ids" { type = list(string) }
variable "instances" { type = number }
variable "admin_sg" { default = null }
variable "admin_cidr" { default = null }

resource "aws_security_group" "this" {
  name   = "svc-${var.name}"
  vpc_id = var.vpc_id

  ingress {
    from_port       = 22
    to_port         = 22
    protocol        = "tcp"
    security_groups = var.admin_sg == null ? [] : [var.admin_sg]
    cidr_blocks     = var.admin_cidr == null ? [] : [var.admin_cidr]
  }

  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_instance" "this" {
  count                  = var.instances
  ami                    = "ami-0123456789abcdef0"
  instance_type          = "t3.micro"
  subnet_id              = element(var.subnet_ids, count.index)
  vpc_security_group_ids = [aws_security_group.this.id]
  metadata_options { http_tokens = "required" }
  root_block_device { encrypted = true }
  tags = { Name = "${var.name}-${count.index}" }
}

output "security_group_id" { value = aws_security_group.this.id }
"""
TF_ROOT = """\
locals {{
  tags = {{ env = var.env, team = "{team}" }}
}}

module "network" {{
  source  = "../../modules/network"
  cidr    = var.cidr
  subnets = {subnets}
  tags    = local.tags
}}

module "service" {{
  source     = "../../modules/service"
  for_each   = var.services
  name       = each.key
  vpc_id     = module.network.vpc_id
  subnet_ids = module.network.subnet_ids
  instances  = each.value
  {admin}
}}

module "eice" {{
  source             = "../../modules/eice"
  vpc_id             = module.network.vpc_id
  subnet_id          = module.network.subnet_ids[0]
  target_sgs         = {{ for name, svc in module.service : name => svc.security_group_id }}
  preserve_client_ip = {preserve}
}}
{extra}"""
TF_VARIABLES = """\
variable "env" { type = string }
variable "cidr" { type = string }
variable "services" { type = map(number) }
"""
TF_EXTRA = """
resource "aws_s3_bucket" "logs{i}" {{
  bucket = "logs-{i}-${{var.env}}"
}}

resource "aws_s3_bucket_versioning" "logs{i}" {{
  bucket = aws_s3_bucket.logs{i}.id
  versioning_configuration {{ status = "Enabled" }}
}}

resource "aws_iam_role" "app{i}" {{
  name = "app-{i}-${{var.env}}"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "ec2.amazonaws.com" }} }}]
  }})
}}
"""
TEAMS = ("payments", "search", "platform", "data", "identity")
ENVS = ("dev", "staging", "prod")


def _size(rnd: random.Random) -> str:
    roll = rnd.random()
    return "small" if roll < 0.6 else "medium" if roll < 0.9 else "large"


def template(n: int, rnd: random.Random) -> str:
    size, a = _size(rnd), n % 250
    broken = rnd.random() < 0.1  # admits the VPC range while preservation is on: EICE003
    source = f"CidrIp: 10.{a}.0.0/16" if broken else "SourceSecurityGroupId: !GetAtt EndpointSg.GroupId"
    text = CFN_HEAD.format(team=TEAMS[n % len(TEAMS)], n=n, a=a, preserve="true" if broken else "false",
                           source=source)
    instances = {"small": rnd.randint(1, 2), "medium": rnd.randint(4, 8), "large": 10}[size]
    text += "".join(CFN_INSTANCE.format(i=i) for i in range(instances))
    if size != "small":
        text += CFN_SERVICE
    if size == "large":
        text += "".join(CFN_BUCKET.format(i=i) for i in range(20))
    return text + CFN_OUTPUTS


def root_module(n: int, rnd: random.Random) -> tuple[str, str]:
    size = _size(rnd)
    services = {"small": rnd.randint(1, 3), "medium": 6, "large": 12}[size]
    broken = rnd.random() < 0.1  # the services admit SSH from the VPC range while preservation is on: EICE003
    admin = "admin_cidr = var.cidr" if broken else "admin_sg   = module.eice.security_group_id"
    extra = "".join(TF_EXTRA.format(i=i) for i in range({"small": 0, "medium": 2, "large": 8}[size]))
    main = TF_ROOT.format(team=TEAMS[n % len(TEAMS)], subnets=rnd.randint(2, 4), admin=admin,
                          preserve="true" if broken else rnd.choice(("true", "false")), extra=extra)
    names = ", ".join(f'svc{s} = {rnd.randint(1, 3)}' for s in range(services))
    tfvars = f'env      = "{ENVS[n % 3]}"\ncidr     = "10.{n % 250}.0.0/16"\nservices = {{ {names} }}\n'
    return main, tfvars


def generate(root: Path, n: int, seed: int = 1) -> None:
    rnd = random.Random(f"{seed}:{n}")
    modules = root / "terraform" / "modules"
    for name, text in (("network", TF_NETWORK), ("eice", TF_EICE), ("service", TF_SERVICE)):
        (modules / name).mkdir(parents=True)
        (modules / name / "main.tf").write_text(text)
    for i in range(n):
        stack = root / "cloudformation" / TEAMS[i % len(TEAMS)] / f"stack{i:04d}.yaml"
        stack.parent.mkdir(parents=True, exist_ok=True)
        stack.write_text(template(i, rnd))
        live = root / "terraform" / "live" / f"{ENVS[i % 3]}-{i:04d}"
        live.mkdir(parents=True)
        main, tfvars = root_module(i, rnd)
        (live / "main.tf").write_text(main)
        (live / "variables.tf").write_text(TF_VARIABLES)
        (live / "terraform.tfvars").write_text(tfvars)
