"""Shared test helpers: run the engine on a folder and read the expectations fixtures carry."""
from __future__ import annotations

import os
import re
from pathlib import Path

from eice_checks.config import Config
from eice_checks.engine import Report, run
from eice_checks.scan import ScanInputs

FIXTURES = Path(__file__).parent / "fixtures"
# A fixture marks each line a finding must point at: `# expect: EICE002` or `# expect: EICE002, EICE005`.
_MARKER = re.compile(r"#\s*expect:\s*(EICE\d{3}(?:\s*,\s*EICE\d{3})*)")


def scan(path: Path | str, config: Config | None = None, inputs: ScanInputs | None = None,
         paths: list[str] | None = None) -> Report:
    """Run the engine with ``path``'s folder as the current directory, as a user would; ``paths``
    (relative to it) default to the folder itself, or the file."""
    path = Path(path)
    cwd = os.getcwd()
    os.chdir(path if path.is_dir() else path.parent)
    try:
        return run(paths or ["." if path.is_dir() else path.name], config or Config(), inputs)
    finally:
        os.chdir(cwd)


def found(report: Report) -> set[tuple[str, str, int, str]]:
    """(rule, file, line, resource) of every finding."""
    return {(f.rule, f.file, f.line, f.resource) for f in report.findings}


def expected_markers(folder: Path) -> set[tuple[str, str, int]]:
    """(rule, file, line) for every `# expect:` marker under ``folder``, files relative to it."""
    result = set()
    for file in sorted(folder.rglob("*")):
        if not file.is_file():
            continue
        for number, line in enumerate(file.read_text().splitlines(), start=1):
            match = _MARKER.search(line)
            if match:
                for rule in match.group(1).split(","):
                    result.add((rule.strip(), file.relative_to(folder).as_posix(), number))
    return result
