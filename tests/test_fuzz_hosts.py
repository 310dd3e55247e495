"""The mutation fuzzer's cases through the hosts, for a bounded number of cases with a fixed seed:
cfn-lint with our rules and checkov with our pack show no exception of ours, no hang and no output
they cannot parse (tests/fuzz/hosts.py). Many cases per host process: one batch each here.
For longer runs: ``python -m tests.fuzz --with-hosts --minutes 10``.

The hosts come from EICE_CFN_LINT_ENV and EICE_CHECKOV_ENV, which .ci/run sets; without them the
tests skip locally and fail under CI, so that they cannot silently stop running.
"""
from __future__ import annotations

import os

import pytest

from fuzz.hosts import HostOutcome, Tools, judge, lints, run_batch
from fuzz.mutate import fixture_files, make_case

SEED = 11
CASES = {"cfn-lint": 40, "checkov": 40}  # one host process each: about 10 s and 30 s on two cores
# Cases of this seed the host fails on by itself, with no frame of ours (tests/fuzz/hosts.py): left
# out here so that one host process runs all the others. `python -m tests.fuzz --with-hosts` reports
# such cases as it meets them. (Indices into the cases made from today's fixtures: a new fixture
# shifts them, hence the few more of the host's own failures the test lets pass, each named.)
HOSTS_OWN: dict[str, set[int]] = {
    "cfn-lint": {4},  # a condition that is a boolean: cfn-lint's solver (sympy) raises TypeError
    "checkov": {3, 8},  # a Type that is a mapping; a number of 5000 digits
}
MORE_HOSTS_OWN = 2


@pytest.fixture(scope="module")
def tools() -> Tools:
    found = Tools.from_environment()
    if len(found.available()) < 2:
        if os.environ.get("CI"):
            pytest.fail("EICE_CFN_LINT_ENV and EICE_CHECKOV_ENV must be set under CI (.ci/run sets them)", pytrace=False)
        pytest.skip("EICE_CFN_LINT_ENV / EICE_CHECKOV_ENV not set (set by .ci/run)")
    return found


@pytest.mark.parametrize("host", ["cfn-lint", "checkov"])
def test_mutated_fixtures_break_nothing_in_the_host(host, tools, tmp_path):
    files = fixture_files()
    cases, index = [], 0
    while len(cases) < CASES[host]:
        case = make_case(SEED, index, files)
        if lints(host, case) and index not in HOSTS_OWN[host]:
            cases.append(case)
        index += 1
    result = run_batch(host, cases, tmp_path / host, tools)
    assert result.ours == {}, "\n".join(
        f"case {i}: {problems}\n    rebuild: python -m tests.fuzz --with-hosts --seed {SEED} --start {i} --cases 1"
        for i, problems in result.ours.items())
    # A new failure of the host's own (no frame of ours): add the case to HOSTS_OWN.
    assert len(result.hosts_own) <= MORE_HOSTS_OWN, result.hosts_own


_REPORT = '[{"Rule": {"Id": "E0002"}, "Filename": "t.yaml", "Message": "Unknown exception while processing rule E9902: boom"}]'


@pytest.mark.parametrize("host, outcome, expected", [
    ("cfn-lint", HostOutcome(0, "[]", ""), []),
    ("cfn-lint", HostOutcome(2, _REPORT, ""),
     ["cfn-lint: one of our rules raised: t.yaml: Unknown exception while processing rule E9902: boom"]),
    ("cfn-lint", HostOutcome(2, '[{"Rule": {"Id": "E0002"}, "Filename": "t.yaml", "Message": "rule E3012 failed"}]', ""), []),
    ("cfn-lint", HostOutcome(32, "", "usage"), ["cfn-lint: exit status 32: usage"]),
    ("checkov", HostOutcome(1, "{}", "Traceback (most recent call last):\n  File \"checkov/x.py\"\nValueError\n"), []),
    ("checkov", HostOutcome(1, "{}", 'Traceback (most recent call last):\n  File "eice_checks/x.py"\nKeyError\n'),
     ['checkov: traceback through eice_checks: Traceback (most recent call last):\n  File "eice_checks/x.py"\nKeyError\n']),
    ("checkov", HostOutcome(1, "not json", ""), ["checkov: output is not JSON: 'not json'"]),
    ("checkov", HostOutcome(1, "[]", "eice-checks: internal error in the Checkov pack (CKV2_EICE_1): KeyError: 'x'\n"),
     ["checkov: eice-checks: internal error in the Checkov pack (CKV2_EICE_1): KeyError: 'x'"]),
    ("checkov", HostOutcome(-9, "[]", ""), ["checkov: exit status -9: "]),
])
def test_what_counts_as_ours(host, outcome, expected):
    assert judge(host, outcome) == expected
