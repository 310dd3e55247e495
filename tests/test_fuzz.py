"""The mutation fuzzer (tests/fuzz) for a bounded number of cases with a fixed seed: mutated copies
of the fixtures never make an internal error, a traceback, a hang or output outside the JSON
contract, and the exit status is 0 or 1 (2 only when nothing could be read). For longer runs and
replay: ``python -m tests.fuzz --help``."""
from __future__ import annotations

import shutil
import time

from fuzz.mutate import fixture_files, make_case
from fuzz.runner import check

SEED = 7
CASES = 300  # about 20 s on two cores
IN_SUBPROCESS = range(0, CASES, 75)  # a few in a fresh interpreter: a traceback shows only on stderr


def test_mutated_fixtures_break_nothing(tmp_path):
    files = fixture_files()
    failures = []
    started = time.perf_counter()
    for index in range(CASES):
        case = make_case(SEED, index, files)
        outcome = check(case, tmp_path / str(index), in_subprocess=index in IN_SUBPROCESS)
        shutil.rmtree(tmp_path / str(index))
        if outcome.problems:
            failures.append(f"case {index} ({case.folder.name}: {', '.join(case.steps)}): {outcome.problems}\n"
                            f"    rebuild: python -m tests.fuzz --seed {SEED} --start {index} --cases 1")
    assert not failures, "\n".join(failures)
    assert time.perf_counter() - started < 120


def test_cases_are_rebuilt_from_their_seed_and_index():
    files = fixture_files()
    assert make_case(3, 11, files) == make_case(3, 11, files)
    assert len({tuple(make_case(3, i, files).mutated.values()) for i in range(20)}) == 20
