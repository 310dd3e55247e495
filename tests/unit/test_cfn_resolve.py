"""Intrinsic functions: what resolves, and what stays Unknown."""
from __future__ import annotations

from eice_checks.frontends.cloudformation import add_templates, load_template
from eice_checks.frontends.cloudformation.resolve import NO_VALUE, Exports, Resolver
from eice_checks.model.builder import ModelBuilder
from eice_checks.model.values import EntityRef, Unknown

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env: {Type: String, Default: prod}
  Groups: {Type: "List<AWS::EC2::SecurityGroup::Id>", Default: "sg-1, sg-2"}
  FromSsm: {Type: "AWS::SSM::Parameter::Value<String>", Default: /net/cidr}
  NoDefault: {Type: String}
Mappings:
  Net: {prod: {Cidr: 10.8.0.0/16}}
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: !FindInMap [Net, !Ref Env, Cidr]}
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: x, VpcId: !Ref Vpc}
  Bucket:
    Type: AWS::S3::Bucket
"""


def resolver(text: str = TEMPLATE, exports=None) -> Resolver:
    return Resolver(load_template("t.yaml", text), exports or Exports())


def test_refs_and_attributes():
    r = resolver()
    assert r.resolve({"Ref": "Sg"}) == EntityRef("sg", "t.yaml#Sg")
    assert r.resolve({"Fn::GetAtt": ["Sg", "GroupId"]}) == EntityRef("sg", "t.yaml#Sg")
    assert r.resolve({"Fn::GetAtt": ["Sg", "VpcId"]}) == EntityRef("vpc", "t.yaml#Vpc")
    assert r.resolve({"Fn::GetAtt": ["Vpc", "CidrBlock"]}) == "10.8.0.0/16"
    assert r.resolve({"Fn::GetAtt": ["Vpc", "DefaultSecurityGroup"]}) == EntityRef("sg", "t.yaml#Vpc#default-security-group")
    assert r.resolve({"Ref": "AWS::NoValue"}) is NO_VALUE
    assert r.resolve([{"Ref": "AWS::NoValue"}, "a"]) == ["a"]
    assert isinstance(r.resolve({"Ref": "Bucket"}), Unknown)
    assert isinstance(r.resolve({"Ref": "AWS::Region"}), Unknown)


def test_parameters():
    r = resolver()
    assert r.resolve({"Ref": "Env"}) == "prod"
    assert r.resolve({"Ref": "Groups"}) == ["sg-1", "sg-2"]
    assert r.resolve({"Ref": "FromSsm"}) == Unknown("parameter FromSsm is read from SSM at deploy time")
    assert r.resolve({"Ref": "NoDefault"}) == Unknown("parameter NoDefault has no default")


def test_string_functions():
    r = resolver()
    assert r.resolve({"Fn::Sub": "${Env}-${Vpc.CidrBlock}-${!Literal}"}) == "prod-10.8.0.0/16-${Literal}"
    assert r.resolve({"Fn::Sub": ["${A}/24", {"A": "10.0.0.0"}]}) == "10.0.0.0/24"
    assert isinstance(r.resolve({"Fn::Sub": "${NoDefault}"}), Unknown)
    assert r.resolve({"Fn::Join": ["-", ["a", {"Ref": "Env"}]]}) == "a-prod"
    assert r.resolve({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}) == "b"
    assert r.resolve({"Fn::Select": ["0", {"Fn::Cidr": ["10.0.0.0/16", 2, 8]}]}) == "10.0.0.0/24"
    assert r.resolve({"Fn::Cidr": [{"Fn::GetAtt": ["Vpc", "CidrBlock"]}, 2, 8]}) == ["10.8.0.0/24", "10.8.1.0/24"]
    assert isinstance(r.resolve({"Fn::Select": [5, ["a"]]}), Unknown)


def test_split_of_a_joined_list_gives_back_each_element():
    r = resolver()
    sg, vpc = EntityRef("sg", "t.yaml#Sg"), EntityRef("vpc", "t.yaml#Vpc")
    joined = {"Fn::Join": [",", [{"Ref": "Sg"}, "sg-literal", {"Ref": "Vpc"}]]}
    assert isinstance(r.resolve(joined), Unknown)  # as text it is known only at deploy time
    assert r.resolve({"Fn::Split": [",", joined]}) == [sg, "sg-literal", vpc]
    assert r.resolve({"Fn::Select": [2, {"Fn::Split": [",", joined]}]}) == vpc
    # Fn::Sub builds such lists too; a join of joins is one list; one reference alone is itself
    assert r.resolve({"Fn::Split": [",", {"Fn::Sub": "${Sg},${Vpc}"}]}) == [sg, vpc]
    nested = {"Fn::Join": [",", [joined, {"Fn::Join": [",", ["a", "b"]]}]]}
    assert r.resolve({"Fn::Split": [",", nested]}) == [sg, "sg-literal", vpc, "a", "b"]
    assert r.resolve({"Fn::Sub": "${Sg}"}) == sg
    assert r.resolve({"Fn::Join": ["", [{"Ref": "Sg"}]]}) == sg


def test_unknown_parts_of_a_joined_list_stay_unknown():
    r = resolver()
    sg = EntityRef("sg", "t.yaml#Sg")
    joined = {"Fn::Join": [",", [{"Ref": "Sg"}, {"Ref": "NoDefault"}, "sg-after"]]}
    elements = r.resolve({"Fn::Split": [",", joined]})
    assert elements == [sg, Unknown("parameter NoDefault has no default"), "sg-after"]
    assert r.resolve({"Fn::Select": [0, {"Fn::Split": [",", joined]}]}) == sg
    assert r.resolve({"Fn::Select": [1, {"Fn::Split": [",", joined]}]}) == Unknown("parameter NoDefault has no default")
    # the unknown text may hold commas itself: what follows it is in the list, at no known position
    assert isinstance(r.resolve({"Fn::Select": [2, {"Fn::Split": [",", joined]}]}), Unknown)
    # a reference glued to text is not the entity; a separator an id may hold splits nothing known
    assert isinstance(r.resolve({"Fn::Select": [0, {"Fn::Split": [",", {"Fn::Sub": "x-${Sg},y"}]}]}), Unknown)
    assert r.resolve({"Fn::Select": [1, {"Fn::Split": [",", {"Fn::Sub": "x-${Sg},y"}]}]}) == "y"
    assert isinstance(r.resolve({"Fn::Select": [0, {"Fn::Split": ["-", {"Fn::Join": ["-", [{"Ref": "Sg"}, "b"]]}]}]}), Unknown)
    assert isinstance(r.resolve({"Fn::Select": [1, {"Fn::Split": [",,", joined]}]}), Unknown)


def test_if_on_an_undeclared_condition_is_known_only_when_both_branches_agree():
    r = resolver()
    assert r.resolve({"Fn::If": ["C", "10.0.0.0/8", "10.0.0.0/8"]}) == "10.0.0.0/8"
    assert isinstance(r.resolve({"Fn::If": ["C", "10.0.0.0/8", "0.0.0.0/0"]}), Unknown)


def test_import_value_across_templates_and_cycles():
    network = load_template("network.yaml", """\
Resources:
  Sg: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: x}}
Outputs:
  SgId: {Value: !GetAtt Sg.GroupId, Export: {Name: net-sg}}
  Loop: {Value: !ImportValue loop, Export: {Name: loop}}
""")
    app = load_template("app.yaml", """\
Resources:
  I: {Type: AWS::EC2::Instance, Properties: {SecurityGroupIds: [!ImportValue net-sg, !ImportValue missing]}}
""")
    builder = ModelBuilder()
    errors = []
    add_templates([network, app], builder, errors)
    model = builder.finish()
    (target,) = model.targets
    assert [e.render() for e in errors] == [
        "network.yaml:5: Outputs.Loop: export loop depends on itself (a reference cycle); unknown"]
    assert target.security_groups.keys == ("network.yaml#Sg",)
    assert target.security_groups.complete is False  # the second import is not exported by a scanned template
    exports = Exports()
    from eice_checks.frontends.cloudformation import _collect_exports
    r = Resolver(network, exports)
    _collect_exports(r, exports)
    assert exports.find("loop")() == Unknown("export loop depends on itself")


def test_not_a_template_is_skipped():
    assert load_template("k.yaml", "kind: Deployment\nmetadata: {name: AWS::EC2::VPC}\n") is None
    assert load_template("x.yaml", "Resources: [1, 2]\nType: AWS::EC2::VPC\n") is None
