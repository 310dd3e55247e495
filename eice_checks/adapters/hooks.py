"""The hosts with our plugins, as one command each, for pre-commit (``.pre-commit-hooks.yaml``):

- ``eice-checks-cfn-lint [cfn-lint options] FILE ...``: cfn-lint with our rules on the files given
  that are CloudFormation templates (pre-commit hands every YAML/JSON file it matched; a workflow or
  a Kubernetes manifest is no template, and cfn-lint would report it as a broken one).
- ``eice-checks-checkov [checkov options]``: checkov with our pack, always ``--skip-download`` and
  without the update check (nothing may reach the network).

Each runs its host in this process, from the environment the hook installed (the host comes as
the hook's ``additional_dependencies``); without it, one line says how to install it (status 2).
"""
from __future__ import annotations

import os
import sys
from typing import Optional, Sequence

from ..scan import TEMPLATE_SUFFIXES

_MISSING = "eice-checks: {tool} is not installed here: pip install 'eice-checks[{extra}]'"


def _is_template_file(path: str) -> bool:
    """Whether a file named on the command line is a CloudFormation template (its start says so)."""
    from ..files import FileReader, UnreadableFile, head_text
    from ..frontends.cloudformation import looks_like_template

    try:
        text = FileReader().read_text(path, confined=False)
    except UnreadableFile as exc:
        return exc.head is None or looks_like_template(head_text(exc.head))  # cfn-lint says what is wrong
    return looks_like_template(text)


def cfn_lint_main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    options, files = _split(args)
    templates = [f for f in files if _is_template_file(f)]
    if files and not templates:
        return 0  # none of the files pre-commit matched is a template
    try:
        from cfnlint.runner import main as cfn_lint
    except ImportError:
        print(_MISSING.format(tool="cfn-lint", extra="cfn-lint"), file=sys.stderr)
        return 2
    sys.argv = ["cfn-lint", "--append-rules=eice_checks.cfn_lint", *options, "--", *templates]
    try:
        cfn_lint()
    except SystemExit as exc:  # cfn-lint exits with its bitmask
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    return 0


def _split(args: list[str]) -> tuple[list[str], list[str]]:
    """(cfn-lint options, the files to lint): files are what pre-commit appends, names of existing
    files with a template suffix (after ``--``, everything)."""
    if "--" in args:
        at = args.index("--")
        return args[:at], args[at + 1:]
    options = [a for a in args if not (a.endswith(TEMPLATE_SUFFIXES) and os.path.isfile(a))]
    return options, [a for a in args if a not in options]


def checkov_main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        from checkov.main import Checkov
    except ImportError:
        print(_MISSING.format(tool="checkov", extra="checkov"), file=sys.stderr)
        return 2
    from ..checkov_pack import DIRECTORY

    os.environ.setdefault("CKV_SKIP_PACKAGE_UPDATE_CHECK", "true")  # else it asks PyPI on every run
    os.environ.setdefault("BC_SKIP_MAPPING", "TRUE")  # else it downloads Bridgecrew's id mapping
    extra = [] if "--skip-download" in args else ["--skip-download"]
    return int(Checkov([*args, *extra, "--external-checks-dir", DIRECTORY]).run() or 0)
