"""CloudFormation intrinsics that would make resolution arbitrarily expensive are cut off at the
template's budget, and reference cycles are reported: what goes over is unknown (never a finding)
with a one-line note, and the valid template beside it is still reported. Each input is generated
here; each scan must finish within 10 s and 500 MB (tests/bounded.py)."""
from __future__ import annotations

from bounded import VALID_CFN, beside_valid, expected, notes, scan_bounded, valid_findings

HEAD = 'AWSTemplateFormatVersion: "2010-09-09"\n'
# A group whose name is read: a value put there is resolved.
NAMED = "  Named{n}:\n    Type: AWS::EC2::SecurityGroup\n    Properties: {{GroupDescription: x, GroupName: {value}}}\n"


def scan(tmp_path, files: dict[str, str]) -> dict:
    report = scan_bounded(beside_valid(tmp_path, files, VALID_CFN))
    assert valid_findings(report) == expected(VALID_CFN)
    assert {f["file"] for f in report["findings"]} <= {"valid/template.yaml"}  # nothing concluded from the rest
    return report


def test_fn_cidr_is_bounded_by_its_count(tmp_path):
    # CloudFormation makes at most 256 blocks: a larger count (or a huge number) is its error, unknown
    values = ["!Select [255, !Cidr [10.0.0.0/8, 256, 8]]", "!Select [0, !Cidr [10.0.0.0/8, 1000000, 8]]",
              '!Select [255, !Cidr ["2001:db8::/32", 256, 64]]',
              f"!Select [0, !Cidr [10.0.0.0/8, '{'9' * 5000}', 8]]"]  # (a YAML integer that long is the loader's)
    text = HEAD + "Resources:\n" + "".join(NAMED.format(n=n, value=v) for n, v in enumerate(values))
    found = notes(scan(tmp_path, {"bad/template.yaml": text}))
    assert found == []


def test_fn_join_and_fn_sub_of_huge_inputs(tmp_path):
    refs = ", ".join(["!Ref Big"] * 200)
    values = [f'!Join ["", [{refs}]]', '!Sub "' + "${Big}" * 200 + '"', '!Sub "' + "${AWS::Region}-" * 200_000 + '"',
              '!Sub "' + "${!Literal}" * 100_000 + '"']  # (one piece after another: linear, and within the limit)
    text = (HEAD + f"Parameters:\n  Big: {{Type: String, Default: {'x' * 10_000}}}\nResources:\n"
            + "".join(NAMED.format(n=n, value=v) for n, v in enumerate(values)))
    found = notes(scan(tmp_path, {"bad/template.yaml": text}))
    assert found == [
        "bad/template.yaml:7: Named0: a value of 2000000 characters is over the limit of 1000000 characters; unknown",
        "bad/template.yaml:10: Named1: a string of 1010000 characters is over the limit of 1000000 characters; unknown",
        "bad/template.yaml:13: Named2: a text of 200000 parts is over the limit of 100000 parts; unknown",
    ]


def test_deeply_nested_fn_if(tmp_path):
    # 100 levels of Fn::If on an undecided condition: resolved down to the nesting limit
    deep = "!If [Undecided, " * 100 + "10.0.0.0/16" + ", 10.1.0.0/16]" * 100
    text = HEAD + f"""\
Parameters: {{P: {{Type: String}}}}
Conditions: {{Undecided: !Equals [!Ref P, x]}}
Resources:
  Deep:
    Type: AWS::EC2::VPC
    Properties: {{CidrBlock: {deep}}}
"""
    # the loader refuses the template's nesting first (tests/unit/test_limits.py has the resolver's part)
    found = notes(scan(tmp_path, {"bad/template.yaml": text}))
    assert found == ["bad/template.yaml:7: nested more than 128 levels deep"]


def test_a_mapping_that_names_itself_under_an_undecided_fn_if(tmp_path):
    # Mappings hold literal values: this one is invalid, so unknown; never evaluated (2^32 steps)
    text = HEAD + """\
Parameters: {P: {Type: String}}
Conditions: {Undecided: !Equals [!Ref P, x]}
Mappings:
  M:
    a:
      b: !If [Undecided, !FindInMap [M, a, b], !FindInMap [M, a, b]]
Resources:
""" + NAMED.format(n=0, value="!FindInMap [M, a, b]")
    found = notes(scan(tmp_path, {"bad/template.yaml": text}))
    assert found == []


def test_reference_cycles_among_conditions_attributes_and_exports(tmp_path):
    one = HEAD + """\
Conditions:
  A: !Condition B
  B: !Condition A
Resources:
  Gated: {Type: AWS::EC2::SecurityGroup, Condition: A, Properties: {GroupDescription: x}}
  SgA: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: x, VpcId: !GetAtt SgB.VpcId}}
  SgB: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: x, VpcId: !GetAtt SgA.VpcId}}
  Imported: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: x, VpcId: !ImportValue y}}
Outputs:
  X: {Value: !ImportValue y, Export: {Name: x}}
"""
    two = HEAD + """\
Resources:
  Sg: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: x}}
Outputs:
  Y: {Value: !ImportValue x, Export: {Name: y}}
"""
    found = notes(scan(tmp_path, {"bad/one.yaml": one, "bad/two.yaml": two}))
    assert found == [
        "bad/one.yaml:4: Gated: condition A depends on itself (a reference cycle); unknown",
        "bad/one.yaml:7: SgA: SgB.VpcId depends on itself (a reference cycle); unknown",
        "bad/two.yaml:5: Outputs.Y: export y depends on itself (a reference cycle); unknown",
    ]


def test_exports_that_double_are_resolved_once_each(tmp_path):
    # each export joins the one before twice: resolved once each (memoised), it stops at the limit
    # (and the unknown that stands for it starts again)
    join = "!Join [',', [!ImportValue e{0}, !ImportValue e{0}]]"
    outputs = "".join(f"  E{i}: {{Value: {join.format(i - 1)}, Export: {{Name: e{i}}}}}\n" for i in range(1, 41))
    text = (HEAD + "Resources:\n  Sg: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: x}}\n"
            + "Outputs:\n  E0: {Value: !Ref Sg, Export: {Name: e0}}\n" + outputs)
    found = notes(scan(tmp_path, {"bad/template.yaml": text}))
    over = "a text of 131070 parts is over the limit of 100000 parts; unknown"
    assert found == [f"bad/template.yaml:{5 + i}: Outputs.E{i}: {over}" for i in (16, 32)]


def test_texts_that_regular_expressions_went_through_many_times(tmp_path):
    # "${" over and over without a closing brace; an export named from the stack's name thirty
    # times, and a long name imported against it: both were read in quadratic or exponential time
    one = (HEAD + "Resources:\n" + NAMED.format(n=0, value='!Sub "' + "${" * 200_000 + '"')
           + 'Outputs:\n  Out: {Value: x, Export: {Name: !Sub "' + "${AWS::StackName}" * 30 + 'x"}}\n')
    two = HEAD + "Resources:\n" + NAMED.format(n=1, value=f"!ImportValue {'a' * 250}")
    found = notes(scan(tmp_path, {"bad/one.yaml": one, "bad/two.yaml": two}))
    assert found == []
