"""cfn-lint with our rules (``eice_checks.cfn_lint``) reports what the CLI reports, proven on the real cfn-lint.

Two ways: in this interpreter through cfn-lint's Runner (when cfn-lint is installed here), and as
users have it, in a separate virtualenv made with ``pip install 'eice-checks[cfn-lint]'``, which
.ci/run builds and names in EICE_CFN_LINT_ENV. Without them the tests skip locally, and fail under
CI so that they cannot silently stop running.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Iterable, Iterator

import pytest

from eice_checks.adapters.cli import main as cli_main
from eice_checks.frontends.cloudformation import TemplateError, load_template
from eice_checks.rules import CATALOG, RULES_BY_ID

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
CONFORMANCE = ROOT.parent / "shared" / "conformance"
OUR_IDS = {rule.cfn_lint_id: rule for rule in CATALOG}
EICE_ID = {rule.cfn_lint_id: rule.id for rule in CATALOG}
IN_CI = bool(os.environ.get("CI"))
ENV = os.environ.get("EICE_CFN_LINT_ENV")
APPEND = "--append-rules=eice_checks.cfn_lint"
RULE_FIXTURE = FIXTURES / "rules" / "{}" / "cloudformation" / "template.yaml"

# Findings that need another template's exports (Fn::ImportValue): the CLI resolves them across the
# templates it scans; cfn-lint lints one template at a time, so there they are unknown. Every other
# finding is the same, and no more: linted alone, a template whose exported group gets rules from a
# rules stack (precision/cfn_rules_stack_with_parameters) concludes nothing from their absence.
NEEDS_OTHER_STACKS = {
    ("E9903", "tests/fixtures/resolve/cloudformation/app.yaml", 23),
    ("E9902", "tests/fixtures/resolve/cfn_joined_list_exports/app.yaml", 40),
    ("E9902", "tests/fixtures/sources/cross_stack/app/app.yaml", 32),
}

Match = tuple[str, str, int, str]  # (cfn-lint id, file, line, message)


# -- where cfn-lint runs --------------------------------------------------------------------------
def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}: .ci/run must provide it", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def env_bin() -> Path:
    """The bin directory of the separate cfn-lint virtualenv."""
    if not ENV:
        _unavailable("EICE_CFN_LINT_ENV not set (set by .ci/run)")
    return Path(ENV) / "bin"


@pytest.fixture(scope="session")
def in_process() -> None:
    try:
        import cfnlint.runner  # noqa: F401  (only whether it imports)
    except ImportError:
        _unavailable("cfn-lint is not installed in this interpreter")


def run_env(env_bin: Path, *args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    """A command of the cfn-lint virtualenv, with its bin first on PATH, as an activated venv has it."""
    env = {**os.environ, "PATH": f"{env_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("PYTHONPATH", None)
    return subprocess.run(list(args), cwd=cwd, input=stdin, capture_output=True, text=True, timeout=600, env=env)


def cfn_lint(env_bin: Path, *args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    proc = run_env(env_bin, str(env_bin / "cfn-lint"), *args, cwd=cwd, stdin=stdin)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    return proc


def json_matches(output: str) -> list[dict]:
    return json.loads(output) if output.strip() else []


def ours(matches: Iterable[dict]) -> set[Match]:
    """Our matches in cfn-lint's JSON output; a problem of ours (E0002/E0003 naming eice-checks) fails."""
    result = set()
    for m in matches:
        rule, message = m["Rule"]["Id"], m["Message"]
        assert not (rule in ("E0002", "E0003") and "eice-checks" in message), message
        if rule in OUR_IDS:
            result.add((rule, m["Filename"], m["Location"]["Start"]["LineNumber"], message))
    return result


def lint_in_process(args: list[str], cwd: Path) -> list:
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    with _chdir(cwd):
        return list(Runner(ConfigMixIn(args)).run())


def ours_in_process(matches: Iterable) -> set[Match]:
    return {(m.rule.id, m.filename, m.linenumber, m.message) for m in matches if m.rule.id in OUR_IDS}


@contextlib.contextmanager
def _chdir(path: Path) -> Iterator[None]:
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


# -- what the CLI reports ---------------------------------------------------------------------------
def cli(paths: list[str], cwd: Path, handed: bool = False) -> set[Match]:
    """`eice-checks --format json PATHS` run in ``cwd``, as (cfn-lint id, file, line, message).
    ``handed``: with the findings that only cfn-lint's own Metadata suppresses (the CLI honours it
    too; the plugin hands them to cfn-lint, which applies it, or lets --mandatory-checks win)."""
    out = io.StringIO()
    with _chdir(cwd), contextlib.redirect_stdout(out):
        cli_main(["--format", "json", *paths])
    report = json.loads(out.getvalue())
    findings = report["findings"] + [s for s in report.get("suppressed", []) if handed
                                     and all(by["tool"] == "cfn-lint" for by in s["suppressions"])]
    return {(RULES_BY_ID[f["rule"]].cfn_lint_id, f["file"], f["line"], f["message"]) for f in findings}


def _templates(base: Path, under: Path) -> list[str]:
    """Every file under ``under`` the CLI reads as a CloudFormation template (or reports as a broken
    one), relative to ``base``."""
    found = []
    for path in sorted(under.rglob("*")):
        if not path.is_file() or path.suffix not in (".yaml", ".yml", ".json", ".template"):
            continue
        try:
            template = load_template(str(path), path.read_text(encoding="utf-8"))
        except TemplateError:
            template = True  # broken: cfn-lint reports it (E0000); our rules must add nothing
        if template is not None:
            found.append(path.relative_to(base).as_posix())
    return found


def _fixture_sets() -> list[tuple[Path, str, list[str]]]:
    """(base, fixture folder, its templates): a folder is what the CLI is pointed at in the tests."""
    sets = []
    groups: dict[str, list[str]] = {}
    for template in _templates(ROOT, FIXTURES) + _templates(ROOT, ROOT / "examples"):
        parts = template.split("/")
        folder = "/".join(parts[:4] if parts[0] == "tests" else parts[:2])
        groups.setdefault(folder, []).append(template)
    sets += [(ROOT, folder, templates) for folder, templates in sorted(groups.items())]
    if CONFORMANCE.is_dir():
        for template in _templates(CONFORMANCE, CONFORMANCE):
            sets.append((CONFORMANCE, template.split("/")[0], [template]))
    return sets


FIXTURE_SETS = _fixture_sets()
BASES = sorted({base for base, _, _ in FIXTURE_SETS})


def _expected(base: Path, templates: list[str]) -> set[Match]:
    return {m for m in cli(templates, base) if m[:3] not in NEEDS_OTHER_STACKS}


def _by_file(matches: set[Match], templates: list[str]) -> set[Match]:
    return {m for m in matches if m[1] in templates}


@pytest.fixture(scope="session")
def linted_in_env(env_bin: Path) -> dict[Path, set[Match]]:
    """One cfn-lint run per base over every template, info included, in the cfn-lint virtualenv."""
    results = {}
    for base in BASES:
        templates = [t for b, _, ts in FIXTURE_SETS if b == base for t in ts]
        proc = cfn_lint(env_bin, "--format", "json", "--include-checks", "I", APPEND, "--", *templates, cwd=base)
        results[base] = ours(json_matches(proc.stdout))
    return results


@pytest.fixture(scope="session")
def linted_here(in_process: None) -> dict[Path, set[Match]]:
    results = {}
    for base in BASES:
        templates = [t for b, _, ts in FIXTURE_SETS if b == base for t in ts]
        results[base] = ours_in_process(lint_in_process(["--include-checks", "I", APPEND, "--", *templates], base))
    return results


def test_every_rule_fixture_and_the_cfn_fixtures_are_compared():
    folders = {folder for base, folder, _ in FIXTURE_SETS if base == ROOT}
    assert {f"tests/fixtures/rules/{rule.id}" for rule in CATALOG} <= folders
    assert {f for f in folders if f.startswith(("tests/fixtures/resolve/cfn", "tests/fixtures/precision/cfn"))} == {
        str(p.relative_to(ROOT)) for d in ("resolve", "precision") for p in (FIXTURES / d).glob("cfn_*")
        if _templates(ROOT, p)}
    assert len(FIXTURE_SETS) >= 25


@pytest.mark.parametrize("base, folder, templates", FIXTURE_SETS, ids=[f for _, f, _ in FIXTURE_SETS])
def test_cfn_lint_reports_the_clis_findings(linted_in_env, base, folder, templates):
    assert _by_file(linted_in_env[base], templates) == _expected(base, templates)


@pytest.mark.parametrize("base, folder, templates", FIXTURE_SETS, ids=[f for _, f, _ in FIXTURE_SETS])
def test_cfn_lint_in_process_reports_the_clis_findings(linted_here, base, folder, templates):
    assert _by_file(linted_here[base], templates) == _expected(base, templates)


def test_what_needs_other_stacks_is_found_by_the_cli_only():
    # the CLI finds these from the templates together; cfn-lint, one template at a time, cannot
    found = {m[:3] for base, _, templates in FIXTURE_SETS if base == ROOT for m in cli(templates, ROOT)}
    assert NEEDS_OTHER_STACKS <= found
    assert all("ImportValue" in (ROOT / file).read_text() for _, file, _ in NEEDS_OTHER_STACKS)


def test_matches_point_at_the_offending_property(in_process):
    # the most specific path on the finding's line: the rule's peer, the property, else the resource
    paths = [_relative("EICE003"), _relative("EICE004"), "tests/fixtures/cdk/cdk.out/AppStack.template.json"]
    matches = lint_in_process([APPEND, "--", *paths], ROOT)
    found = {(m.rule.id, m.linenumber): m.path for m in matches if m.rule.id in OUR_IDS}
    ingress = ["Properties", "SecurityGroupIngress", 0, "CidrIp"]
    assert found == {
        ("E9903", 34): ["Resources", "OfficeSg", *ingress],
        ("E9903", 98): ["Resources", "VpcRangeSg", *ingress],
        ("W9904", 15): ["Resources", "FailNoGroups"],
        ("W9904", 32): ["Resources", "FailEmptyGroups", "Properties", "SecurityGroupIds"],
        # JSON: "CidrIp": {"Fn::GetAtt": [...]} on one line is the property, not the function's arguments
        ("E9903", 47): ["Resources", "AppInstanceSecurityGroup95B5A4C6", *ingress],
    }


def test_a_line_no_path_shows_is_given_to_cfn_lint_as_it_is(in_process, monkeypatch):
    # should no key or list item start at a finding's line, the match carries the line itself, and
    # the finding's resource as its path (for that resource's Metadata suppressions)
    from eice_checks.adapters.cfn_lint import Converted

    monkeypatch.setattr(Converted, "path_at", lambda self, line, resource: None)
    path = _relative("EICE004")
    matches = [m for m in lint_in_process([APPEND, "--", path], ROOT) if m.rule.id in OUR_IDS]
    assert ours_in_process(matches) == cli([path], ROOT)
    assert sorted(m.path for m in matches) == [["Resources", "FailEmptyGroups"], ["Resources", "FailNoGroups"]]


# -- the rule classes -------------------------------------------------------------------------------
def test_one_rule_class_per_catalog_rule(in_process):
    import eice_checks.cfn_lint as plugin
    from cfnlint.helpers import create_rules

    rules = {rule.id: rule for rule in create_rules(plugin)}  # what --append-rules instantiates
    assert set(rules) == set(OUR_IDS)
    for cfn_lint_id, catalog in OUR_IDS.items():
        rule = rules[cfn_lint_id]
        assert rule.severity == {"error": "error", "warning": "warning", "info": "informational"}[catalog.severity]
        assert rule.shortdesc == f"{catalog.name} ({catalog.id})"
        assert rule.description == catalog.title
        assert rule.source_url == catalog.page and (ROOT / rule.source_url).is_file()
        assert catalog.id in rule.tags


def test_importing_the_rules_is_cheap(env_bin):
    # cfn-lint's rule base class and our catalog; the engine and the front ends only on a template
    script = ("import sys; import cfnlint.rules; before = set(sys.modules); import eice_checks.cfn_lint; "
              "print(sorted(set(sys.modules) - before))")
    proc = run_env(env_bin, str(env_bin / "python"), "-c", script, cwd=ROOT.parent)
    assert proc.returncode == 0, proc.stderr
    loaded = eval(proc.stdout)
    assert "eice_checks.cfn_lint" in loaded
    heavy = ("cfnlint", "eice_checks.engine", "eice_checks.scan", "eice_checks.config", "eice_checks.frontends")
    assert [m for m in loaded if m.startswith(heavy)] == []


def test_the_ids_collide_with_no_cfn_lint_rule_nor_custom_rules_file(env_bin, tmp_path):
    # cfn-lint's -z file makes one rule per line, numbered 9000 + line (E, or W with WARN): all of
    # them for files up to 499 lines, loaded by cfn-lint itself
    script = f"""
import json
from cfnlint.config import ConfigMixIn
from cfnlint.rules import Rules
from cfnlint.runner import Runner
builtin = set(Runner(ConfigMixIn([])).rules)
appended = set(Runner(ConfigMixIn([{APPEND!r}])).rules)
custom = set()
for level in ("ERROR", "WARN"):
    with open("custom.txt", "w") as handle:
        handle.writelines(f"AWS::EC2::Instance InstanceType EQUALS t{{n}}.micro {{level}} no\\n" for n in range(499))
    custom |= set(Rules.create_from_custom_rules_file("custom.txt"))
print(json.dumps({{"builtin": sorted(builtin), "appended": sorted(appended), "custom": sorted(custom)}}))
"""
    proc = run_env(env_bin, str(env_bin / "python"), "-c", script, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    ids = json.loads(proc.stdout)
    assert len(ids["builtin"]) > 200 and len(ids["custom"]) == 2 * 499
    assert set(ids["appended"]) - set(ids["builtin"]) == set(OUR_IDS)
    assert not set(OUR_IDS) & set(ids["builtin"])
    assert not set(OUR_IDS) & set(ids["custom"])


# -- the README, exactly as written ---------------------------------------------------------------
def _readme_blocks() -> list[tuple[str, str]]:
    readme = (ROOT / "README.md").read_text()
    section = re.search(r"(?ms)^## cfn-lint\n(.*?)^## ", readme).group(1)
    return re.findall(r"```(\w+)\n(.*?)```", section, re.S)


def _readme_block(language: str, first_line: str | None = None) -> str:
    blocks = [text for lang, text in _readme_blocks() if lang == language
              and (first_line is None or text.startswith(first_line))]
    assert len(blocks) >= 1, (language, first_line)
    return blocks[0]


def _readme_commands() -> list[str]:
    return [line for line in _readme_block("sh").splitlines() if line.strip()]


def _relative(rule_id: str) -> str:
    return Path(str(RULE_FIXTURE).format(rule_id)).relative_to(ROOT).as_posix()


def _copy_template(rule_id: str, folder: Path) -> Path:
    target = folder / "template.yaml"
    shutil.copy(str(RULE_FIXTURE).format(rule_id), target)
    return target


def test_readme_install_is_the_extra_the_cfn_lint_environment_is_built_with(env_bin):
    install = shlex.split(_readme_commands()[0])
    assert install == ["pip", "install", "eice-checks[cfn-lint]"]
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'(?m)^cfn-lint = \["cfn-lint>=1,<2"\]$', pyproject)
    assert 'install "$root[cfn-lint]"' in (ROOT / ".ci" / "run").read_text()
    script = ("import importlib.metadata as m; print(m.version('cfn-lint')); "
              "print([r for r in m.requires('eice-checks') if 'cfn-lint' in r])")
    proc = run_env(env_bin, str(env_bin / "python"), "-c", script, cwd=ROOT.parent)
    version, requirement = proc.stdout.splitlines()
    assert version.startswith("1.") and "extra == \"cfn-lint\"" in requirement


def test_readme_commands_as_written(env_bin, tmp_path):
    # the file and the standard-input command, each run by a shell in a folder with template.yaml
    _copy_template("EICE001", tmp_path)
    expected = {(m[0], m[2], m[3]) for m in cli(["template.yaml"], tmp_path)}
    commands = _readme_commands()[1:]
    assert len(commands) == 2 and "<" in commands[1]
    for command in commands:
        assert command.startswith("cfn-lint ")
        proc = run_env(env_bin, "bash", "-c", command.replace("cfn-lint ", "cfn-lint --format json ", 1), cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr  # errors: bit 2
        found = ours(json_matches(proc.stdout))
        assert {(rule, line, message) for rule, _, line, message in found} == expected
        assert {file for _, file, _, _ in found} == ({"template.yaml"} if "<" not in command else {None})


def test_readme_cfnlintrc_as_written(env_bin, tmp_path):
    (tmp_path / ".cfnlintrc").write_text(_readme_block("yaml", "# .cfnlintrc"))
    _copy_template("EICE003", tmp_path)
    proc = cfn_lint(env_bin, "--format", "json", "template.yaml", cwd=tmp_path)  # "a plain cfn-lint template.yaml"
    assert ours(json_matches(proc.stdout)) == cli(["template.yaml"], tmp_path)
    assert proc.returncode == 2


def test_readme_ids_are_the_catalogs():
    ids = re.search(r"\*\*Ids\.\*\*(.*?)\(the table", (ROOT / "README.md").read_text(), re.S).group(1)
    assert re.findall(r"[EWI]99\d\d", ids) == [rule.cfn_lint_id for rule in CATALOG]


def test_eice007_page_says_cfn_lint_shows_it_only_when_included():
    page = (ROOT / RULES_BY_ID["EICE007"].page).read_text()
    assert "--include-checks I" in page and RULES_BY_ID["EICE007"].cfn_lint_id in page


# -- suppressions -----------------------------------------------------------------------------------
def _with_readme_metadata(resource: str, text: str) -> str:
    """The README's suppression Metadata, as written, put on ``resource`` of a template."""
    snippet = _readme_block("yaml", "Resources:")
    snippet_type = re.search(r"(?m)^    Type: (\S+)$", snippet).group(1)
    metadata = snippet[snippet.index("    Metadata:"):]
    pattern = rf"(?m)^(  {resource}:\n    Type: {re.escape(snippet_type)}\n)"
    assert re.search(pattern, text), f"{resource} is no {snippet_type}"
    return re.sub(pattern, lambda m: m.group(1) + metadata, text, count=1)


def test_suppressions(env_bin, tmp_path):
    fixture = Path(str(RULE_FIXTURE).format("EICE002")).read_text()
    (tmp_path / "template.yaml").write_text(_with_readme_metadata("FailTagged", fixture))
    reported = cli(["template.yaml"], tmp_path, handed=True)
    assert cli(["template.yaml"], tmp_path) == {m for m in reported if not m[3].startswith("FailTagged ")}
    tagged = {m for m in reported if m[3].startswith("FailTagged ")}
    assert {m[0] for m in tagged} == {"E9902"} and len(reported) > len(tagged)

    def lint(*options: str) -> set[Match]:
        return ours(json_matches(cfn_lint(env_bin, "--format", "json", APPEND, *options, "--", "template.yaml",
                                          cwd=tmp_path).stdout))

    assert lint() == reported - tagged  # Metadata on the resource suppresses it there only
    assert lint("--mandatory-checks", "E9902") == reported  # mandatory wins over the Metadata
    assert lint("--ignore-checks", "E9902") == {m for m in reported if m[0] != "E9902"}
    assert lint("--ignore-checks", "E99") == set()


def test_template_metadata_and_info(env_bin, tmp_path):
    text = _copy_template("EICE007", tmp_path).read_text()
    reported = cli(["template.yaml"], tmp_path, handed=True)
    assert {m[0] for m in reported} == {"I9907"}

    def lint(*options: str) -> set[Match]:
        proc = cfn_lint(env_bin, "--format", "json", APPEND, *options, "--", "template.yaml", cwd=tmp_path)
        return ours(json_matches(proc.stdout))

    assert lint() == set()  # info is shown only when asked for
    assert lint("--include-checks", "I") == reported
    assert lint("--include-checks", "I9907") == reported
    (tmp_path / "template.yaml").write_text(
        "Metadata:\n  cfn-lint:\n    config:\n      ignore_checks: [I9907]\n" + text)
    assert cli(["template.yaml"], tmp_path) == set()  # the CLI honours the template's Metadata too
    assert lint("--include-checks", "I") == set()
    assert {m[0] for m in lint("--include-checks", "I", "--mandatory-checks", "I9907")} == {"I9907"}


# -- exit status: cfn-lint's bitmask -------------------------------------------------------------------
@pytest.mark.parametrize("rules, options, code", [
    (["EICE001"], [APPEND], 2),  # our errors
    (["EICE004"], [APPEND], 4),  # our warnings
    (["EICE001", "EICE004"], [APPEND], 6),
    (["EICE007"], [APPEND], 0),  # info, not shown
    (["EICE007"], [APPEND, "--include-checks", "I"], 8),
    (["EICE001"], [APPEND, "--ignore-checks", "E9901"], 0),
    (["EICE001"], [], 0),  # cfn-lint alone finds nothing in it
])
def test_exit_status(env_bin, tmp_path, rules, options, code):
    paths = []
    for rule in rules:
        (tmp_path / rule).mkdir()
        paths.append(str(_copy_template(rule, tmp_path / rule).relative_to(tmp_path)))
    proc = cfn_lint(env_bin, *options, "--", *paths, cwd=tmp_path)
    assert proc.returncode == code, proc.stdout + proc.stderr


# -- cfn-lint keeps working ---------------------------------------------------------------------------
def test_cfn_lint_still_works_next_to_eice_checks(env_bin, tmp_path):
    version = cfn_lint(env_bin, "--version", cwd=tmp_path)
    assert version.returncode == 0 and re.match(r"cfn-lint 1\.", version.stdout), version.stdout
    _copy_template("EICE002", tmp_path)
    plain = cfn_lint(env_bin, "--format", "json", "template.yaml", cwd=tmp_path)
    rules = {m["Rule"]["Id"] for m in json_matches(plain.stdout)}
    assert rules == {"E3004"} and plain.returncode == 2  # its own rule, and none of ours
    check = run_env(env_bin, str(env_bin / "pip"), "check", cwd=tmp_path)
    assert check.returncode == 0, check.stdout


# -- inside cfn-lint: once per template, and never a traceback --------------------------------------------
def test_each_template_is_analysed_once(in_process, monkeypatch):
    import eice_checks.engine

    calls = []
    original = eice_checks.engine.run_templates
    def counted(templates, *args, **kwargs):
        calls.append(templates[0].path)
        return original(templates, *args, **kwargs)

    monkeypatch.setattr(eice_checks.engine, "run_templates", counted)
    paths = [_relative(rule) for rule in ("EICE001", "EICE005", "EICE008")]
    matches = ours_in_process(lint_in_process(["--include-checks", "I", APPEND, "--", *paths], ROOT))
    assert sorted(calls) == sorted(paths)
    assert {m[1] for m in matches} == set(paths)


def test_an_internal_error_is_one_clear_match(in_process, monkeypatch):
    import eice_checks.engine

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(eice_checks.engine, "run_templates", broken)
    path = _relative("EICE001")
    matches = lint_in_process(["--include-checks", "I", APPEND, "--", path], ROOT)
    problems = [(m.rule.id, m.message) for m in matches if "eice-checks" in m.message]
    assert problems == [
        ("E0002", "eice-checks: internal error: RuntimeError: boom; its rules report nothing on this template")]
    assert not ours_in_process(matches)


def test_a_failing_rule_costs_only_its_own_findings(in_process, monkeypatch):
    import eice_checks.engine

    def boom(analysis):
        raise KeyError("x")

    broken = tuple(replace(rule, check=boom) if rule.id == "EICE005" else rule for rule in CATALOG)
    monkeypatch.setattr(eice_checks.engine, "CATALOG", broken)
    path = "examples/cloudformation/eice.yaml"  # an EICE005 and an EICE003 finding
    matches = lint_in_process(["--include-checks", "I", APPEND, "--", path], ROOT)
    problems = [(m.rule.id, m.message) for m in matches if "eice-checks" in m.message]
    assert problems == [("E0002", "eice-checks: internal error in EICE005: KeyError: 'x'")]
    monkeypatch.setattr(eice_checks.engine, "CATALOG", CATALOG)
    expected = {m for m in cli([path], ROOT) if m[0] != "W9905"}
    assert ours_in_process(matches) == expected and expected


def test_unreadable_settings_are_one_configuration_match(in_process, tmp_path):
    _copy_template("EICE001", tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.eice-checks]\nadmin-ports = "22"\n')
    matches = lint_in_process([APPEND, "--", "template.yaml"], tmp_path)
    problems = [(m.rule.id, m.message) for m in matches if "eice-checks" in m.message]
    assert len(problems) == 1 and problems[0][0] == "E0003", problems
    assert problems[0][1].startswith("eice-checks: ") and "pyproject.toml" in problems[0][1]
    assert not ours_in_process(matches)


def test_settings_apply_as_for_the_cli(in_process, tmp_path):
    _copy_template("EICE002", tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.eice-checks]\nadmin-ports = [22]\ndisable = ["EICE001"]\n')
    matches = ours_in_process(lint_in_process(["--include-checks", "I", APPEND, "--", "template.yaml"], tmp_path))
    assert matches == cli(["template.yaml"], tmp_path)
    with _chdir(tmp_path):
        os.rename("pyproject.toml", "other.toml")
    assert matches != cli(["template.yaml"], tmp_path)  # the settings made a difference


# -- the conversion of cfn-lint's decoded template ------------------------------------------------------
def _same_with_lines(converted, loaded, where: str = "") -> None:
    from eice_checks.frontends.cloudformation.loader import LineDict, LineList

    assert type(converted) is type(loaded), where
    if isinstance(loaded, LineDict):
        assert list(converted) == list(loaded), where
        assert (converted.line, converted.key_lines) == (loaded.line, loaded.key_lines), where
        for key in loaded:
            _same_with_lines(converted[key], loaded[key], f"{where}/{key}")
    elif isinstance(loaded, LineList):
        assert (len(converted), converted.line) == (len(loaded), loaded.line), where
        for index, (a, b) in enumerate(zip(converted, loaded)):
            _same_with_lines(a, b, f"{where}/{index}")
    else:
        assert converted == loaded, where


@pytest.mark.parametrize("template", [t for base, _, ts in FIXTURE_SETS if base == ROOT for t in ts])
def test_converted_template_is_what_the_loader_reads(in_process, template):
    # the front end gets from cfn-lint's nodes what it gets from the file: the same values and lines
    from cfnlint.decode.decode import decode_str

    from eice_checks.adapters.cfn_lint import convert
    from eice_checks.frontends.cloudformation.loader import load_json, load_yaml

    text = (ROOT / template).read_text()
    decoded, errors = decode_str(text)
    if errors:
        return  # broken: cfn-lint stops there (E0000), our rules never see it
    loaded = load_json(text) if text.lstrip().startswith("{") else load_yaml(text)
    _same_with_lines(convert(decoded).body, loaded)


def test_a_template_nested_too_deeply_or_referring_to_itself_is_one_problem():
    from types import SimpleNamespace

    from eice_checks.adapters.cfn_lint import planned_matches

    deep: dict = {"Resources": {}}
    node = deep["Resources"]
    for _ in range(200):
        node["x"] = {}
        node = node["x"]
    looped: dict = {"Resources": {"App": {"Type": "AWS::EC2::Instance", "Properties": {}}}}
    looped["Resources"]["App"]["Properties"]["Self"] = looped
    for template in (deep, looped):
        planned = planned_matches(SimpleNamespace(template=template, filename="t.yaml"))
        assert [(p.kind, p.message) for p in planned] == [
            ("internal", "eice-checks: the template is nested too deeply to analyse")]


def test_a_number_the_loader_would_refuse_is_one_problem_not_an_internal_error():
    # found by the fuzzer through cfn-lint: YAML's 0b11...1 of 20,000 digits, which cfn-lint decodes
    # to an int that Python cannot print (our own loader refuses the literal's length)
    from types import SimpleNamespace

    from eice_checks.adapters.cfn_lint import planned_matches

    def template(subnet: object) -> dict:
        return {"Resources": {"App": {"Type": "AWS::EC2::Instance", "Properties": {"SubnetId": subnet}}}}

    for huge in (int("1" * 20_000, 2), -(10 ** 1000), [10 ** 1000]):
        planned = planned_matches(SimpleNamespace(template=template(huge), filename="t.yaml"))
        assert [(p.kind, p.message) for p in planned] == [
            ("internal", "eice-checks: the template holds a number of more than 1000 digits, which is not analysed")]
    assert planned_matches(SimpleNamespace(template=template(10 ** 999), filename="t.yaml")) == []


def test_a_template_cloudformation_refuses_is_left_to_cfn_lints_own_rules(in_process):
    # tests/fixtures/hosts: found by the fuzzer through cfn-lint (tests/fuzz/hosts.py)
    path = "tests/fixtures/hosts/cfn_resource_without_type/template.yaml"
    matches = lint_in_process(["--include-checks", "I", APPEND, "--", path], ROOT)
    assert [(m.rule.id, m.linenumber) for m in matches] == [("E3001", 9)]


def test_every_suppression_convention(env_bin):
    """tests/fixtures/suppress: ours (on the resource it is about, on the one its line is in) and
    checkov's are applied by the engine; cfn-lint's own by cfn-lint, so --mandatory-checks wins
    over it only."""
    folder = FIXTURES / "suppress" / "cloudformation"

    def lint(*options: str) -> set[tuple[str, int, str]]:
        proc = cfn_lint(env_bin, "--format", "json", APPEND, *options, "--", "template.yaml", cwd=folder)
        return {(m[0], m[2], m[3].split(" ", 1)[0]) for m in ours(json_matches(proc.stdout))}

    assert lint() == {("W9905", 111, "Open")}
    assert lint("--mandatory-checks", "W9905") == {("W9905", 111, "Open"), ("W9905", 56, "CfnLint")}
    assert {(m[0], m[2]) for m in cli(["template.yaml"], folder)} == {("W9905", 111)}
