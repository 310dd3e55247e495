"""The eice-checks command: ``main(argv) -> int`` so hooks and tests call it without a subprocess."""
from __future__ import annotations

import argparse
import os
import sys
from typing import Optional, Sequence

from .. import __version__
from ..config import Config, ConfigError, find_pyproject, load_config, parse_rule_ids, parse_size
from ..escape import printable
from ..engine import Report, run
from ..scan import ScanInputs
from ..rules import CATALOG

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
FORMATS = ("text", "json", "sarif", "github", "markdown")
EXPLAINED = ("text", "json", "markdown")  # the formats --explain applies to
_NEVER_READ = """never read: anything outside the PATHs (a symbolic link out of them is skipped with a
note), FIFOs, sockets and devices, text that is not UTF-8 (UTF-16 included), files larger than
--max-file-size. Each such file is one entry under errors; the scan goes on. See the README,
"What is never read, and the limits"."""


def build_parser() -> argparse.ArgumentParser:
    rules = "\n".join(f"  {r.id}  {r.severity:<7}  {r.name}" for r in CATALOG)
    parser = argparse.ArgumentParser(
        prog="eice-checks",
        description="Check that EC2 Instance Connect Endpoints in CloudFormation and Terraform can reach their instances.",
        epilog=f"rules:\n{rules}\n\n{_NEVER_READ}\n\n"
               "exit status: 0 no finding at or above --fail-on, 1 findings, 2 usage error or nothing readable.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="*", default=["."], metavar="PATH",
                        help="files or directories to scan (default: .); each is a root: nothing outside is read")
    parser.add_argument("-f", "--format", choices=FORMATS, default="text",
                        help="output format (default: text); markdown: a report for $GITHUB_STEP_SUMMARY and "
                             "pull-request comments, with a findings table and a Mermaid diagram per endpoint")
    parser.add_argument("--explain", action="store_true",
                        help="say why: per endpoint, every resource of its VPC as reachable, broken, unknown or not "
                             "a target, each leg with the security-group rule that allows it (text; json: a paths "
                             "array; markdown always has it)")
    parser.add_argument("--fail-on", choices=("error", "warning", "info", "never"),
                        help="lowest severity that makes the exit status 1 (default: error)")
    parser.add_argument("--admin-ports", metavar="PORTS", help="comma-separated TCP ports the endpoint tunnels to (default: 22,3389)")
    parser.add_argument("--enable", metavar="IDS", help="run only these rules, e.g. EICE001,EICE002")
    parser.add_argument("--disable", metavar="IDS", help="skip these rules, e.g. EICE007")
    parser.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                        help="Terraform root variable, as terraform -var (repeatable; wins over tfvars files)")
    parser.add_argument("--var-file", action="append", default=[], metavar="FILE",
                        help="Terraform variables file, as terraform -var-file (repeatable)")
    parser.add_argument("--parameters", action="append", default=[], metavar="KEY=VALUE|FILE",
                        help="CloudFormation parameter value, or a JSON parameters file (repeatable)")
    parser.add_argument("--config", metavar="FILE", help="pyproject.toml to read [tool.eice-checks] from (default: the nearest one)")
    parser.add_argument("--max-file-size", metavar="SIZE",
                        help="skip (with a note) files larger than this, e.g. 50M or 512K (default: 20M)")
    parser.add_argument("--strict", action="store_true",
                        help="also fail (exit 1) on a suppression in the sources that matches no finding, listed as a warning")
    parser.add_argument("--baseline", metavar="FILE",
                        help="report only findings that are not in this baseline (written with --write-baseline)")
    parser.add_argument("--write-baseline", metavar="FILE",
                        help="record today's findings in FILE (rule, resource, file), report them, and exit 0")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour text output (default: auto)")
    parser.add_argument("--version", action="version", version=f"eice-checks {__version__}")
    parser.add_argument("--checkov-dir", action="store_true",
                        help="print the Checkov custom policy pack's directory (for checkov --external-checks-dir) and exit")
    return parser


def _config(args: argparse.Namespace) -> Config:
    config = load_config(args.config or find_pyproject())
    ports = None
    if args.admin_ports:
        try:
            ports = tuple(int(p) for p in args.admin_ports.split(",") if p.strip())
        except ValueError:
            raise ConfigError(f"--admin-ports takes comma-separated numbers, not {args.admin_ports!r}") from None
    return config.updated(
        fail_on=args.fail_on, admin_ports=ports,
        enable=parse_rule_ids(args.enable) if args.enable else None,
        disable=parse_rule_ids(args.disable) if args.disable else None,
        max_file_size=parse_size(args.max_file_size) if args.max_file_size else None,
    )


def _inputs(args: argparse.Namespace) -> ScanInputs:
    from ..files import UnreadableFile, stat_regular
    from ..frontends.cloudformation.parameters import ParameterError, parse_parameters

    variables = []
    for item in args.var:
        name, equals, value = item.partition("=")
        if not equals or not name.strip():
            raise ConfigError(f"--var takes NAME=VALUE, not {item!r}")
        variables.append((name.strip(), value))
    for path in args.var_file:
        try:
            stat_regular(path)  # named by the user: may be anywhere, but only a regular file
        except UnreadableFile as exc:
            raise ConfigError(f"--var-file {path}: {exc.message}") from None
    try:
        parameters = parse_parameters(args.parameters)
    except ParameterError as exc:
        raise ConfigError(str(exc)) from None
    return ScanInputs(list(args.var_file), variables, parameters)


def _render(report: Report, fmt: str, colour: bool, explained: bool) -> str:
    stories = None
    if explained or fmt == "markdown":
        from ..explain import explain  # only when asked: start-up stays lean
        stories = explain(report)
    if fmt == "markdown":
        from .report_markdown import link_base, render_markdown
        return render_markdown(report, stories or [], link_base(os.environ))
    if fmt == "json":
        from .report_machine import render_json
        return render_json(report, stories)
    if fmt == "github":
        from .report_machine import render_github
        return render_github(report)
    if fmt == "sarif":
        from .report_sarif import render_sarif
        return render_sarif(report)
    from .report_text import render
    return render(report, colour, stories)


def _use_colour(choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `eice-checks | head`: the reader left; say nothing more
        sys.stderr.close()
        return EXIT_FINDINGS
    except Exception as exc:  # a bug must end in one line and a usage-error status, never a traceback
        print(f"eice-checks: internal error: {type(exc).__name__}: {exc} (please report it)", file=sys.stderr)
        return EXIT_USAGE


def _main(argv: Optional[Sequence[str]]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help/--version (0) and bad usage (2)
        return int(exc.code or 0)
    if args.checkov_dir:
        from ..checkov_pack import DIRECTORY
        print(DIRECTORY)
        return EXIT_OK
    if args.explain and args.format not in EXPLAINED:
        print(f"eice-checks: --explain applies to --format {', '.join(EXPLAINED)}, not {args.format}", file=sys.stderr)
        return EXIT_USAGE
    try:
        config = _config(args)
        inputs = _inputs(args)
    except ConfigError as exc:
        print(f"eice-checks: {printable(str(exc))}", file=sys.stderr)  # input in it is cut to excerpts where quoted
        return EXIT_USAGE
    report = run(args.paths, config, inputs)
    try:
        report = _baselines(report, args)
    except ConfigError as exc:
        print(f"eice-checks: {printable(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    if not args.strict:
        report.unused_suppressions = []  # listed, and failing the run, only with --strict
    for path in report.scanned.missing:
        print(f"eice-checks: {printable(path)}: no such file or directory", file=sys.stderr)
    output = _render(report, args.format, _use_colour(args.color), args.explain)
    if output:
        print(output)
    if report.scanned.missing:
        return EXIT_USAGE
    if report.scanned.candidates and not report.scanned.read:
        print("eice-checks: none of the files found could be read", file=sys.stderr)
        return EXIT_USAGE
    if not report.scanned.candidates:
        print("eice-checks: no CloudFormation templates or Terraform files found", file=sys.stderr)
    if args.write_baseline:
        return EXIT_OK
    return EXIT_FINDINGS if report.failing() or report.unused_suppressions else EXIT_OK


def _baselines(report: Report, args: argparse.Namespace) -> Report:
    """--write-baseline records the findings (those of an older baseline too); --baseline leaves out
    those it holds."""
    from .. import baseline

    if args.write_baseline:
        baseline.write(report.findings, args.write_baseline)
        print(f"eice-checks: {printable(args.write_baseline)}: {len(report.findings)} findings recorded", file=sys.stderr)
    if args.baseline:
        report = baseline.without_baselined(report, args.baseline)
    return report
