"""--format markdown: every diagram parses with Mermaid's own parser (fixture folders, hostile names,
large scans), no resource name adds markup, and large scans stay readable."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from eice_checks.adapters.report_markdown import MAX_DIAGRAMS, MAX_EDGES, link_base
from mermaid_parser import diagrams, parse_errors
from test_explain import FOLDERS, cli

HOSTILE_KEYS = [
    '"]-->x["pwn',
    "</details><img src=x onerror=alert(1)>",
    "```",
    "@octocat [l](https://evil.example) | * _ # %%{init: {}}%% ;\\n end",
    "\u001b[31mred",
]


def _hcl_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\u001b", "\\u001b") + '"'


def _network(vpc: str, cidr: str) -> str:
    """A VPC with an endpoint whose group sends SSH to the VPC, and a group that admits the endpoint."""
    return f'''
resource "aws_vpc" "{vpc}" {{
  cidr_block = "{cidr}.0.0/16"
}}
resource "aws_subnet" "{vpc}" {{
  vpc_id     = aws_vpc.{vpc}.id
  cidr_block = "{cidr}.1.0/24"
}}
resource "aws_security_group" "{vpc}_eice" {{
  vpc_id = aws_vpc.{vpc}.id
  egress {{
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["{cidr}.0.0/16"]
  }}
}}
resource "aws_security_group" "{vpc}_app" {{
  vpc_id = aws_vpc.{vpc}.id
  ingress {{
    from_port       = 22
    to_port         = 22
    protocol        = "tcp"
    security_groups = [aws_security_group.{vpc}_eice.id]
  }}
}}
resource "aws_ec2_instance_connect_endpoint" "{vpc}" {{
  subnet_id          = aws_subnet.{vpc}.id
  security_group_ids = [aws_security_group.{vpc}_eice.id]
  preserve_client_ip = false
}}
'''


def _instances(name: str, vpc: str, group: str, keys: list[str]) -> str:
    return f'''
resource "aws_instance" "{name}" {{
  for_each               = toset([{", ".join(_hcl_string(k) for k in keys)}])
  ami                    = "ami-0123456789abcdef0"
  subnet_id              = aws_subnet.{vpc}.id
  vpc_security_group_ids = [aws_security_group.{group}.id]
}}
'''


def _hostile_tree(root: Path) -> Path:
    # a group that admits SSH from a public range while preservation is off: EICE003 on each instance
    public = '''
resource "aws_security_group" "public" {
  vpc_id = aws_vpc.a.id
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["198.51.100.0/24"]
  }
}
'''
    broken = "".join(_instances(f"bad{i}", "a", "public", [key]) for i, key in enumerate(HOSTILE_KEYS))
    (root / 'we"ird]|<x>`@y.tf').write_text(_network("a", "10.0") + public)
    (root / "main.tf").write_text(_instances("app", "a", "a_app", HOSTILE_KEYS) + broken)
    return root


def _large_tree(root: Path, endpoints: int, targets: int) -> Path:
    parts = [_network(f"v{i}", f"10.{i}") + _instances(f"one{i}", f"v{i}", f"v{i}_app", ["k"])
             for i in range(1, endpoints)]
    parts.insert(0, _network("v0", "10.0") + _instances("many", "v0", "v0_app", [f"k{i}" for i in range(targets)]))
    (root / "main.tf").write_text("".join(parts))
    return root


def _markdown(folder: Path) -> str:
    code, out = cli(["--format", "markdown"], folder)
    assert code in (0, 1)
    return out


def _check_structure(text: str) -> None:
    """Node ids are ours only, every linkStyle names an edge, fences and tables are whole."""
    for diagram in diagrams(text):
        nodes = re.findall(r"^  (\w+)\[", diagram, re.M)
        assert all(re.fullmatch(r"e|g\d+|t\d+|more", n) for n in nodes), nodes
        edges = [line for line in diagram.splitlines() if re.match(r"^  \w+ (-->|-\.->)", line)]
        styles = [int(n) for n in re.findall(r"^  linkStyle (\d+) ", diagram, re.M)]
        assert all(n < len(edges) for n in styles)
    assert sum(line == "```" for line in text.splitlines()) == len(diagrams(text))
    for row in (line for line in text.splitlines() if line.startswith("| ")):
        assert len(re.findall(r"(?<!\\)\|", row)) in (4, 6), row  # 3 or 5 columns: no cell broken up


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[str, str]:
    docs = {folder.relative_to(folder.parents[1]).as_posix(): _markdown(folder) for folder in FOLDERS}
    docs["hostile"] = _markdown(_hostile_tree(tmp_path_factory.mktemp("hostile")))
    docs["large"] = _markdown(_large_tree(tmp_path_factory.mktemp("large"), MAX_DIAGRAMS + 2, MAX_EDGES + 5))
    return docs


def test_every_diagram_parses_with_mermaid(documents: dict[str, str]) -> None:
    texts = [d for doc in documents.values() for d in diagrams(doc)]
    assert len(texts) > 40
    assert parse_errors(texts) == []


def test_a_broken_diagram_is_caught() -> None:
    """The parser really parses: the check would catch a label that breaks out of its quotes."""
    assert len(parse_errors(['flowchart LR\n  e["a"]"] --> x\n'])) == 1


def test_structure_holds_everywhere(documents: dict[str, str]) -> None:
    for text in documents.values():
        _check_structure(text)


def test_hostile_names_stay_text(documents: dict[str, str]) -> None:
    text = documents["hostile"]
    for raw in ("<img", "</details><img", "](https://evil", "@octocat", "\u001b", '"]-->x["', "%%{init"):
        assert raw not in text, raw
    assert text.count("<details") == text.count("</details>") == 1
    # each hostile instance is a node of its own, and each EICE003 is a row of the table
    diagram = diagrams(text)[0]
    assert len(re.findall(r"^  t\d+\[", diagram, re.M)) == 2 * len(HOSTILE_KEYS)
    assert len([row for row in text.splitlines() if row.startswith("| EICE003 ")]) == len(HOSTILE_KEYS)
    assert r'| aws\_instance.bad0\[""\]--&gt;x\["pwn"\] |' in text  # markdown-escaped, readable
    assert '  t5["aws_instance.bad0#91;#34;#34;#93;--#62;x#91;#34;pwn#34;#93;<br/>instance"]' in diagram.splitlines()
    assert "[we\"ird\\]\\|&lt;x&gt;\\`&#64;y.tf&#58;" in text  # the file name in a link's text
    assert "(we%22ird%5D%7C%3Cx%3E%60%40y.tf#L" in text  # and in its URL


def test_large_scans_are_capped_and_folded(documents: dict[str, str]) -> None:
    text = documents["large"]
    assert len(diagrams(text)) == MAX_DIAGRAMS
    assert "<details open>" not in text and text.count("<details>") == MAX_DIAGRAMS + 2
    first = diagrams(text)[0]
    assert len(re.findall(r"^  t\d+\[", first, re.M)) == MAX_EDGES
    assert '  more["5 more, listed below"]' in first.splitlines()
    assert f"Diagrams are drawn for the first {MAX_DIAGRAMS} endpoints of {MAX_DIAGRAMS + 2}." in text


def test_examples_report() -> None:
    text = _markdown(Path(__file__).resolve().parent.parent / "examples" / "terraform")
    assert ("| EICE003 cidr-preservation-mismatch | error | aws\\_instance.app | [main.tf&#58;48](main.tf#L48) "
            "| set preserve\\_client\\_ip = false \\(the source is then the endpoint's subnet, which 10.42.0.0/16 "
            "contains\\), or admit the clients' public ranges or the endpoint's security group instead. |") in text
    assert ('  g0 -.->|"#10007; 22 #40;SSH#41; broken: ingress EICE003"| t0') in diagrams(text)[0].splitlines()


def test_links_point_at_the_commit_in_github_actions() -> None:
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "o/r", "GITHUB_SHA": "abc123"}
    assert link_base(env) == "https://github.com/o/r/blob/abc123/"
    assert link_base({}) == ""
    assert link_base({**env, "GITHUB_SERVER_URL": "javascript:alert(1)"}) == ""


def test_hostile_names_in_explain_text_and_json_are_escaped(tmp_path: Path) -> None:
    import json

    folder = _hostile_tree(tmp_path)
    _, text = cli(["--explain", "--color", "never"], folder)
    assert "\u001b" not in text
    assert '  aws_instance.app["\\x1b[31mred"] (instance, main.tf:2): reachable on 22 (SSH)' in text.splitlines()
    _, out = cli(["--explain", "--format", "json"], folder)
    resources = {r["resource"] for r in json.loads(out)["paths"][0]["resources"]}
    assert 'aws_instance.app["\\x1b[31mred"]' in resources


def test_ci_installs_the_pinned_parser() -> None:
    import json

    root = Path(__file__).resolve().parent.parent
    assert "(cd tests/mermaid && npm ci " in (root / ".ci" / "run").read_text()
    package = json.loads((root / "tests" / "mermaid" / "package.json").read_text())
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in package["dependencies"].values()), package
    lock = json.loads((root / "tests" / "mermaid" / "package-lock.json").read_text())
    for name, version in package["dependencies"].items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version


def test_without_the_parser_it_skips_locally_and_fails_in_ci(monkeypatch, tmp_path: Path) -> None:
    import mermaid_parser

    monkeypatch.setattr(mermaid_parser, "FOLDER", tmp_path)  # no node_modules there
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        mermaid_parser.require_parser()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Mermaid's parser is not installed"):
        mermaid_parser.require_parser()


def test_escapes() -> None:
    from eice_checks.escape import html_text, markdown_text, mermaid_label

    assert markdown_text("a_b|c <x> @me [l](u) `t`\u001b") == "a\\_b\\|c &lt;x&gt; &#64;me \\[l\\]\\(u\\) \\`t\\`\\\\x1b"
    assert html_text('<b a="1">@x</b>') == "&lt;b a=&quot;1&quot;&gt;&#64;x&lt;/b&gt;"
    assert mermaid_label('a"]|-->x') == "a#34;#93;#124;--#62;x"
    assert mermaid_label("x" * 200) == "x" * 120 + "#8230;"  # cut, with an ellipsis
