"""Mermaid's own parser (the `mermaid` npm package under tests/mermaid, in Node with jsdom), for the
tests: every diagram the tests make must parse as GitHub will parse it.

.ci/run installs the package (``npm ci`` in tests/mermaid). Without it the tests that need it skip
locally, but fail under CI (``CI`` set) so they cannot silently stop running.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

FOLDER = Path(__file__).parent / "mermaid"
_BLOCK = re.compile(r"^```mermaid\n(.*?)^```$", re.S | re.M)


def diagrams(markdown: str) -> list[str]:
    """The Mermaid blocks of a Markdown document."""
    return _BLOCK.findall(markdown)


def require_parser() -> str:
    """The node executable, or a skip (a failure under CI) when the parser is not installed."""
    node = shutil.which("node")
    if node is None or not (FOLDER / "node_modules" / "mermaid").is_dir():
        message = "Mermaid's parser is not installed (cd tests/mermaid && npm ci; .ci/run does it)"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return node


def parse_errors(texts: list[str]) -> list[tuple[str, str]]:
    """(diagram, Mermaid's error) for every diagram that does not parse; all in one Node process."""
    node = require_parser()
    done = subprocess.run([node, str(FOLDER / "parse.mjs")], input=json.dumps(texts), capture_output=True,
                          text=True, timeout=120, cwd=FOLDER)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert len(results) == len(texts)
    return [(text, error) for text, error in zip(texts, results) if error is not None]
