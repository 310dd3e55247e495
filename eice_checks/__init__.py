"""eice-checks: lint EC2 Instance Connect Endpoint wiring in CloudFormation and Terraform."""

__version__ = "0.1.0"
