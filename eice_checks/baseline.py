"""Baselines: the findings a repository already has, so that only new ones are reported.

A finding is keyed on its rule, resource and file, not its line: editing elsewhere in a file moves
lines and must not bring old findings back. Files are stored relative to the baseline file's
directory, so the baseline works from wherever the scan is run. Writing the baseline again records
today's findings only: a baselined finding that was fixed is gone from it.
"""
from __future__ import annotations

import json
import os
from dataclasses import replace
from typing import Iterable

from .analysis.findings import Finding
from .config import ConfigError
from .engine import Report
from .escape import excerpt

VERSION = 1
Key = tuple[str, str, str]  # (rule, resource, file relative to the baseline's directory)


def _key(finding: Finding, directory: str) -> Key:
    file = os.path.relpath(os.path.abspath(finding.file), directory).replace(os.sep, "/")
    return finding.rule, finding.resource, file


def _directory(path: str) -> str:
    return os.path.dirname(os.path.abspath(path))


def load(path: str) -> set[Key]:
    """The keys a baseline file holds; ConfigError (a usage error) when it cannot be read."""
    from .files import FileReader, UnreadableFile

    try:
        # as every file the user names: a regular file, bounded in size, UTF-8
        data = json.loads(FileReader().read_text(path, confined=False))
    except UnreadableFile as exc:
        raise ConfigError(f"--baseline {path}: cannot read it: {exc.reason}") from None
    except (ValueError, RecursionError) as exc:
        raise ConfigError(f"--baseline {path}: not a baseline (invalid JSON: {excerpt(str(exc), 80)})") from None
    entries = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(entries, list) or data.get("version") != VERSION:
        raise ConfigError(f"--baseline {path}: not an eice-checks baseline of version {VERSION} "
                          "(write one with --write-baseline)")
    keys: set[Key] = set()
    for entry in entries:
        fields = [entry.get(k) if isinstance(entry, dict) else None for k in ("rule", "resource", "file")]
        if not all(isinstance(f, str) for f in fields):
            raise ConfigError(f"--baseline {path}: each finding needs rule, resource and file (strings)")
        keys.add((fields[0], fields[1], fields[2]))
    return keys


def without_baselined(report: Report, path: str) -> Report:
    """The report without the findings the baseline at ``path`` holds (counted in ``baselined``)."""
    keys, directory = load(path), _directory(path)
    kept = [f for f in report.findings if _key(f, directory) not in keys]
    return replace(report, findings=kept, baselined=len(report.findings) - len(kept))


def render(findings: Iterable[Finding], path: str) -> str:
    directory = _directory(path)
    keys = sorted({_key(f, directory) for f in findings}, key=lambda k: (k[2], k[0], k[1]))
    return json.dumps({"version": VERSION, "findings": [{"rule": r, "resource": res, "file": f} for r, res, f in keys]},
                      indent=2, ensure_ascii=True) + "\n"


def write(findings: Iterable[Finding], path: str) -> None:
    """Record ``findings`` at ``path`` (replacing what was there); ConfigError when it cannot be written."""
    text = render(findings, path)
    try:
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as exc:
        raise ConfigError(f"--write-baseline {path}: cannot write it: {exc.strerror or exc}") from None
