"""Safe, line-aware loading of CloudFormation YAML and JSON."""
from __future__ import annotations

import pytest

from eice_checks.frontends.cloudformation.loader import TemplateError, load_json, load_yaml

SHORT_FORMS = """\
Resources:
  A:
    Properties:
      Ref: !Ref Vpc
      Att: !GetAtt Sg.GroupId
      AttList: !GetAtt [Sg, GroupId]
      Sub: !Sub "${Vpc}-x"
      If: !If [Cond, a, b]
      Import: !ImportValue shared
      Join: !Join [",", [a, b]]
      Select: !Select [0, !Split [",", "a,b"]]
      Map: !FindInMap [M, k, v]
      Cidr: !Cidr [10.0.0.0/16, 2, 8]
      Cond: !Condition IsProd
      Date: 2010-09-09
"""


def test_short_forms_become_long_forms_with_lines():
    doc = load_yaml(SHORT_FORMS)
    props = doc["Resources"]["A"]["Properties"]
    assert props == {
        "Ref": {"Ref": "Vpc"}, "Att": {"Fn::GetAtt": ["Sg", "GroupId"]}, "AttList": {"Fn::GetAtt": ["Sg", "GroupId"]},
        "Sub": {"Fn::Sub": "${Vpc}-x"}, "If": {"Fn::If": ["Cond", "a", "b"]}, "Import": {"Fn::ImportValue": "shared"},
        "Join": {"Fn::Join": [",", ["a", "b"]]}, "Select": {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]},
        "Map": {"Fn::FindInMap": ["M", "k", "v"]}, "Cidr": {"Fn::Cidr": ["10.0.0.0/16", 2, 8]},
        "Cond": {"Condition": "IsProd"}, "Date": "2010-09-09",
    }
    assert props.line == 4
    assert props.line_of("Sub") == 7
    assert doc["Resources"].line_of("A") == 2


@pytest.mark.parametrize("text, line, message", [
    ("a: &x [1]\nb: *x\n", 2, "YAML aliases (*name) are not supported by CloudFormation"),
    ("a: [1, 2\n", 1, "invalid YAML: while parsing a flow sequence: did not find expected ',' or ']'"),
    ("base: &b {x: 1}\nother:\n  <<: *b\n", 3, "YAML merge keys (<<) are not supported by CloudFormation"),
    ("a: !!python/object/apply:os.system [ls]\n", 1, "YAML tag tag:yaml.org,2002:python/object/apply:os.system is not allowed in a CloudFormation template"),
    ("a: !Bogus x\n", 1, "unknown tag !Bogus"),
    ("a:\n  - b\n c: d\n", 3, "invalid YAML: while parsing a block mapping: did not find expected key"),
    ("a: [1, 2\nb: 3\n", 2, "invalid YAML: while parsing a flow sequence: did not find expected ',' or ']'"),
])
def test_unsafe_or_broken_yaml_is_refused_with_a_line(text, line, message):
    with pytest.raises(TemplateError) as error:
        load_yaml(text)
    assert (error.value.line, error.value.message) == (line, message)


def test_json_keeps_lines():
    doc = load_json('{\n  "Resources": {\n    "A": {"Type": "AWS::EC2::VPC",\n      "Properties": {"CidrBlock": "10.0.0.0/16"}}\n  }\n}')
    assert doc["Resources"]["A"]["Properties"] == {"CidrBlock": "10.0.0.0/16"}
    assert doc["Resources"].line_of("A") == 3
    assert doc["Resources"]["A"].line_of("Properties") == 4
    assert load_json('[1, 2.5, true, null, "\\u00e9"]') == [1, 2.5, True, None, "é"]


@pytest.mark.parametrize("text, line, message", [
    ('{"a": [1,\n 2,,]}', 2, "invalid JSON: unexpected character ','"),
    ('{"a": 1}\n{"b": 2}', 2, "invalid JSON: extra data after the JSON value"),
    ('{"a": "x', 1, "invalid JSON: Unterminated string starting at"),
    ("[" * 600, 1, "invalid JSON: nested more than 128 levels deep"),
])
def test_broken_json_is_refused_with_a_line(text, line, message):
    with pytest.raises(TemplateError) as error:
        load_json(text)
    assert (error.value.line, error.value.message) == (line, message)
