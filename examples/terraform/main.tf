# A private VPC reached through an EC2 Instance Connect Endpoint. Two mistakes are left in on
# purpose; `eice-checks examples/` reports them.

variable "vpc_cidr" {
  type    = string
  default = "10.42.0.0/16"
}

resource "aws_vpc" "main" {
  cidr_block = var.vpc_cidr
}

resource "aws_subnet" "private" {
  vpc_id     = aws_vpc.main.id
  cidr_block = cidrsubnet(var.vpc_cidr, 8, 1)
}

resource "aws_security_group" "eice" {
  name        = "eice"
  description = "EC2 Instance Connect Endpoint"
  vpc_id      = aws_vpc.main.id

  egress {
    description = "SSH to the VPC"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [aws_vpc.main.cidr_block]
  }
}

# preserve_client_ip is not set: the AWS provider defaults it to true, so the targets see the
# clients' public addresses, not the VPC range their security group admits.
resource "aws_ec2_instance_connect_endpoint" "this" {
  subnet_id          = aws_subnet.private.id
  security_group_ids = [aws_security_group.eice.id]
}

resource "aws_security_group" "app" {
  name   = "app"
  vpc_id = aws_vpc.main.id

  ingress {
    description = "SSH from inside the VPC"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [aws_vpc.main.cidr_block]
  }
}

resource "aws_instance" "app" {
  ami                    = "ami-0123456789abcdef0"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.private.id
  vpc_security_group_ids = [aws_security_group.app.id]
}
