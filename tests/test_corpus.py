"""Reproductions of what scripts/corpus.py found in other people's code (docs/robustness.md), one
fixture folder each under tests/fixtures/corpus, and the script's own judgement of a run."""
from __future__ import annotations

import subprocess
import sys

import pytest

from helpers import FIXTURES, expected_markers, found, scan

CORPUS = FIXTURES / "corpus"
SCRIPT = FIXTURES.parent.parent / "scripts" / "corpus.py"


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.iterdir()))
def test_reproduction_reads_without_error_and_finds_exactly_the_marked_lines(name):
    report = scan(CORPUS / name)
    assert [(e.file, e.message) for e in report.errors] == []
    assert {(rule, file, line) for rule, file, line, _ in found(report)} == expected_markers(CORPUS / name)


def test_rule_function_short_forms_are_read_as_their_long_forms():
    from eice_checks.frontends.cloudformation.loader import load_yaml

    template = load_yaml("Rules:\n  R:\n    Assertions:\n      - Assert: !Contains [[a], !ValueOf [P, VpcId]]\n")
    assert template["Rules"]["R"]["Assertions"][0]["Assert"] == {"Fn::Contains": [["a"], {"Fn::ValueOf": ["P", "VpcId"]}]}


def test_corpus_script_runs_each_directory_and_flags_nothing_on_the_reproductions():
    proc = subprocess.run([sys.executable, str(SCRIPT), *sorted(str(p) for p in CORPUS.iterdir())],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(list(CORPUS.iterdir())) + 1
    assert all(line.endswith("  ok") for line in lines[:-1]), lines
    assert lines[-1].endswith(" 0 flagged")


_EMPTY = '{"version": 1, "findings": [], "errors": []}'


@pytest.mark.parametrize("code, stdout, stderr, expected", [
    (2, _EMPTY, "eice-checks: internal error: KeyError: 'x'\n", ["stderr: eice-checks: internal error: KeyError: 'x'", "exit status 2"]),
    (1, _EMPTY, "Traceback (most recent call last):\n", ["stderr: Traceback (most recent call last):"]),
    (3, _EMPTY, "", ["exit status 3"]),
    (0, "not json", "", ["output is not JSON: 'not json'"]),
    (0, '{"version": 2, "findings": [], "errors": []}', "", ["not the JSON contract: {'version': 2, 'findings': [], 'errors': []}"]),
])
def test_corpus_script_flags_what_must_never_happen(code, stdout, stderr, expected):
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import corpus
    finally:
        sys.path.remove(str(SCRIPT.parent))
    assert corpus.judge(code, stdout, stderr) == expected
    assert corpus.judge(1, _EMPTY, "") == []
