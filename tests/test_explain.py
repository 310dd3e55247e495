"""--explain: a verdict for every finding, on every fixture folder; the rule named for an allowed leg
is the rule that allows it; the verdicts and reasons are what the user reads."""
from __future__ import annotations

import contextlib
import copy
import io
import ipaddress
import json
import os
from pathlib import Path

import pytest

from eice_checks.adapters.cli import main
from eice_checks.analysis.paths import Analysis
from eice_checks.explain import BROKEN, REACHABLE, explain, every_finding_explained
from eice_checks.model.network import Endpoint, Model, SgRule, Target
from eice_checks.rules import RULES_BY_ID
from helpers import FIXTURES, scan

RULE_FOLDERS = sorted(FIXTURES.glob("rules/*/*"))
FOLDERS = RULE_FOLDERS + sorted([
    *FIXTURES.glob("precision/*"), *FIXTURES.glob("resolve/*"), *FIXTURES.glob("plans/*"), *FIXTURES.glob("cli/*"),
    *FIXTURES.glob("sources/*"), FIXTURES / "cdk", FIXTURES / "checkov" / "shared_module",
    *FIXTURES.glob("checkov/suppressed/*")])
ROOT = Path(__file__).resolve().parent.parent


def _name(folder: Path) -> str:
    return folder.relative_to(FIXTURES).as_posix()


def cli(args: list[str], cwd: Path) -> tuple[int, str]:
    """The CLI's exit status and output, run in ``cwd`` as a user would."""
    out = io.StringIO()
    before = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out):
            code = main(args)
    finally:
        os.chdir(before)
    return code, out.getvalue()


# -- a verdict for every finding ----------------------------------------------------------------------
# What each rule's finding says about the verdict it belongs to.
_TARGET_VERDICT = {"EICE002": (BROKEN, "ingress"), "EICE003": (BROKEN, "ingress"), "EICE005": (REACHABLE, None),
                   "EICE009": (BROKEN, "network ACL")}


@pytest.mark.parametrize("folder", FOLDERS, ids=_name)
def test_every_finding_has_its_verdict(folder: Path) -> None:
    report = scan(folder)
    stories = explain(report)
    assert every_finding_explained(stories) == set(report.findings)
    for story in stories:
        for finding in story.findings:
            assert story.endpoint.key in finding.subjects
            assert RULES_BY_ID[finding.rule].reported_on == "endpoint"
        for target in story.targets:
            for finding in target.findings:
                if finding.rule == "EICE001":  # the endpoint's finding about this target: its egress leg
                    assert (target.verdict, [b.leg for b in target.breaks][:1]) == (BROKEN, ["egress"]), finding
                    continue
                verdict, leg = _TARGET_VERDICT[finding.rule]
                assert target.target.key in finding.subjects
                assert target.verdict == verdict, (finding, target.verdict)
                if leg:
                    assert (leg, finding.rule) in {(b.leg, b.rule) for b in target.breaks}


@pytest.mark.parametrize("folder", FOLDERS, ids=_name)
def test_explain_prints_every_finding_under_its_verdict(folder: Path) -> None:
    report = scan(folder)
    code, out = cli(["--explain", "--color", "never"], folder)
    assert code in (0, 1)
    why = out[out.index("\nendpoint ") if "\nendpoint " in out else 0:]
    for f in report.findings:
        assert f"finding: {f.rule} {f.severity} {f.file}:{f.line} {f.resource}\n" in why, f
    # and in JSON: each finding is referenced under its endpoint or one of its resources
    _, out = cli(["--explain", "--format", "json"], folder)
    data = json.loads(out)
    referenced = {(r["rule"], r["file"], r["line"], r["resource"]) for e in data["paths"]
                  for r in [*e.get("findings", []), *(x for t in e.get("resources", []) for x in t.get("findings", []))]}
    assert referenced == {(f["rule"], f["file"], f["line"], f["resource"]) for f in data["findings"]}


# -- the rule named for an allowed leg is the rule that allows it -------------------------------------------
@pytest.mark.parametrize("folder", RULE_FOLDERS, ids=_name)
def test_witness_is_the_rule_that_allows_the_leg(folder: Path) -> None:
    report = scan(folder)
    model = report.scanned.model
    checked = 0
    for story in explain(report):
        for target in story.targets:
            for leg in target.legs:
                if leg.allowed is not True:
                    assert leg.rule is None
                    continue
                endpoint, rule = story.endpoint, leg.rule
                side = (endpoint if leg.direction == "egress" else target.target).security_groups.keys
                holders = [g for g in (model.security_groups[k] for k in side if k in model.security_groups)
                           if rule in (g.egress if leg.direction == "egress" else g.ingress)]
                assert [g.name for g in holders][:1] == [leg.group]
                assert rule.allows_tcp(leg.port) is True
                assert _peer_fits(model, endpoint, target.target, rule), (rule, leg)
                assert _alone_it_allows(model, endpoint, target.target, rule, leg.port)
                lines = (folder / rule.location.file).read_text().splitlines()
                assert 1 <= rule.location.line <= len(lines)
                checked += 1
    # the rules about paths have passing targets in both tools: their witnesses are checked
    assert checked or folder.parent.name not in ("EICE001", "EICE002", "EICE003", "EICE005")


_PRIVATE = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
                                              "169.254.0.0/16", "fc00::/7", "fe80::/10")]


def _peer_fits(model: Model, endpoint: Endpoint, target: Target, rule: SgRule) -> bool:
    """Independently of the analysis: the rule's peer is the other side of the path."""
    peer = rule.peer
    if rule.direction == "egress":
        if peer.kind == "sg":
            return peer.sg in target.security_groups.keys
        ranges = [model.subnets[k].cidr_v4 for k in target.subnets] or model.vpcs[target.vpc].cidrs
        return all(r.subnet_of(peer.cidr) for r in ranges if r.version == peer.cidr.version)
    if peer.kind == "sg":
        return peer.sg in endpoint.security_groups.keys
    if endpoint.preserve_client_ip is True:  # a client's public address
        return peer.cidr.version == 4 and not any(peer.cidr.subnet_of(p) for p in _PRIVATE if p.version == 4)
    subnet = model.subnets[endpoint.subnet]
    return subnet.cidr_v4.subnet_of(peer.cidr)


def _alone_it_allows(model: Model, endpoint: Endpoint, target: Target, rule: SgRule, port: int) -> bool:
    """With every other rule of its direction removed, the leg is still allowed, by this rule."""
    alone = copy.deepcopy(model)
    for group in alone.security_groups.values():
        if rule.direction == "egress":
            group.egress = [r for r in group.egress if r == rule]
        else:
            group.ingress = [r for r in group.ingress if r == rule]
    analysis = Analysis(alone, (22, 3389))
    e = next(e for e in alone.endpoints if e.key == endpoint.key)
    t = next(t for t in alone.targets if t.key == target.key)
    matches = (analysis.egress_matches(e, t, port) if rule.direction == "egress"
               else analysis.ingress_matches(e, t, port, analysis.mode(e)))
    return [r for r, allowed in matches if allowed is True] == [rule]


# -- what the user reads ---------------------------------------------------------------------------------------
def _verdict_lines(folder: Path) -> list[str]:
    _, out = cli(["--explain", "--color", "never"], folder)
    return [line.strip() for line in out.splitlines() if line.startswith("  ") and not line.startswith("   ")]


def test_not_a_target_says_why() -> None:
    lines = _verdict_lines(FIXTURES / "rules" / "EICE002" / "cloudformation")
    for expected in [
        "FailHttpsOnly (instance, template.yaml:33): broken: ingress (EICE002)",
        "PassFromEndpointGroup (instance, template.yaml:61): reachable on 22 (SSH)",
        "PassVpcCidr (instance, template.yaml:76): not a target: all traffic from 10.1.0.0/16 opens every port, "
        "not SSH/RDP on purpose",
        "PassWebServer (instance, template.yaml:91): not a target: it admits no TCP 22 or 3389 "
        "(its ingress: tcp 443 from 0.0.0.0/0)",
        "PassBastionOnly (instance, template.yaml:109): not a target: tcp 22 from BastionSg admits another "
        "security group (a bastion's, say), not the endpoint's",
        "PassImportedGroup (instance, template.yaml:117): unknown: the target's list of security groups is not fully known",
        "PassVpnRange (instance, template.yaml:135): not a target: tcp 22 from 10.50.0.0/16 is private space "
        "outside the VPC (a VPN or a peered network, say)",
        "PassOptedOut (instance, template.yaml:150): not a target: it is tagged eice-checks:target = false",
    ]:
        assert expected in lines


def test_a_bastion_with_its_own_public_address_is_not_a_target() -> None:
    lines = _verdict_lines(FIXTURES / "precision" / "tf_bastion_with_public_ip")
    assert ("aws_instance.bastion (instance, main.tf:37): not a target: tcp 22 from 203.0.113.0/24 is public space, "
            "and it has a public address of its own: reached directly (a bastion, say)") in lines


def test_broken_egress_names_eice001_and_the_leg_that_has_no_rule() -> None:
    _, out = cli(["--explain", "--color", "never"], FIXTURES / "rules" / "EICE001" / "terraform")
    block = out[out.index("endpoint aws_ec2_instance_connect_endpoint.fail_https_only"):]
    block = block[:block.index("\n\n")]
    assert "  aws_instance.a (instance, main.tf:46): broken: egress (EICE001)\n" in block
    assert ("      22 (SSH)    egress   no rule allows it; a rule must allow the target's security group(s) "
            "aws_security_group.target_a or its addresses 10.1.1.0/24\n") in block
    assert "      finding: EICE001 error main.tf:42 aws_ec2_instance_connect_endpoint.fail_https_only" in block


def test_the_endpoint_facts_say_where_defaults_came_from() -> None:
    _, out = cli(["--explain", "--color", "never"], ROOT / "examples" / "terraform")
    assert ("  client IP preservation on (preserve_client_ip is not set; the Terraform AWS provider defaults it "
            "to true); IP address type ipv4 (not set: the type of its subnet aws_subnet.private, which has IPv4 CIDRs)"
            ) in out.splitlines()


def test_json_paths_are_additive() -> None:
    folder = ROOT / "examples" / "terraform"
    _, plain = cli(["--format", "json"], folder)
    _, explained = cli(["--format", "json", "--explain"], folder)
    plain_data, data = json.loads(plain), json.loads(explained)
    assert data.pop("paths") and data == plain_data and data["version"] == 1
    endpoint = json.loads(explained)["paths"][0]
    assert (endpoint["endpoint"], endpoint["preserve_client_ip"], endpoint["preserve_client_ip_default"]) == (
        "aws_ec2_instance_connect_endpoint.this", True, True)
    app = endpoint["resources"][0]
    assert (app["resource"], app["verdict"], app["broken"]) == ("aws_instance.app", "broken",
                                                               [{"leg": "ingress", "rule": "EICE003"}])
    egress_22 = app["legs"][0]
    assert egress_22["rule"] == {"file": "main.tf", "line": 28, "resource": "aws_security_group.eice",
                                 "security_group": "aws_security_group.eice", "text": "tcp 22 to 10.42.0.0/16",
                                 "implicit": False}


@pytest.mark.parametrize("fmt", ["sarif", "github"])
def test_explain_is_a_usage_error_where_it_does_not_apply(fmt: str, capsys) -> None:
    assert main(["--explain", "--format", fmt, str(ROOT / "examples")]) == 2
    assert "--explain applies to --format text, json, markdown" in capsys.readouterr().err


def test_help_names_explain_and_markdown(capsys) -> None:
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    assert "--explain" in text and "markdown" in text


def test_no_endpoint_is_said(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "aws_instance" "web" {\n  ami = "ami-0123456789abcdef0"\n}\n')
    assert cli(["--explain", "--color", "never"], tmp_path) == (
        0, "explain: no EC2 Instance Connect Endpoint in the scan\n\n0 findings (0 errors, 0 warnings, 0 info) "
           "in 0 files; 1 file scanned\n")
