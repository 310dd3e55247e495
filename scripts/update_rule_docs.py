#!/usr/bin/env python3
"""Keep the example output in rules/EICE*.md true to the tool.

Every ```hcl or ```yaml block in a rule page that is followed by a ```console block is an example:
it is written alone into an empty temporary directory as main.tf (hcl) or template.yaml (yaml), the
CLI is run there in-process as ``eice-checks <file> --color never``, and its output must equal the
console block's lines after the ``$ eice-checks <file>`` line.

    python scripts/update_rule_docs.py            # check; exit 1 and list what is out of date
    python scripts/update_rule_docs.py --update   # rewrite the console blocks from real output

Code blocks not followed by a console block (the "good" snippets under "How to fix") are not run.

Each page ends with the section ``## In cfn-lint and Checkov`` (the rule's id in each tool and how
to suppress it there), generated from the catalog: ``--update`` writes it, the check compares it.
Standard library only, apart from eice_checks itself.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
RULES_DIR = ROOT / "rules"
FILE_NAMES = {"hcl": "main.tf", "yaml": "template.yaml"}
_FENCE = re.compile(r"^```(\S*)\s*$")


class Example:
    """One example block and the console block that shows its output (line indexes into the page).

    A plain class rather than a dataclass, so the script also loads with importlib from its path
    without being registered in sys.modules.
    """

    def __init__(self, language: str, source: str, line: int, console_start: int, console_end: int,
                 console: list[str]) -> None:
        self.language = language  # "hcl" or "yaml"
        self.source = source  # the example file's text
        self.line = line  # 1-based line of the example's opening fence, for messages
        self.console_start = console_start  # index of the first line inside the console block
        self.console_end = console_end  # index of the console block's closing fence
        self.console = console  # the console block's lines

    @property
    def file_name(self) -> str:
        return FILE_NAMES[self.language]

    @property
    def command(self) -> str:
        return f"$ eice-checks {self.file_name}"


def _fenced_blocks(lines: list[str]) -> list[tuple[str, int, int]]:
    """(info string, index of the opening fence, index of the closing fence) for each fenced block."""
    blocks: list[tuple[str, int, int]] = []
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if match is None:
            i += 1
            continue
        end = i + 1
        while end < len(lines) and lines[end].rstrip() != "```":
            end += 1
        if end == len(lines):
            raise ValueError(f"line {i + 1}: code block is not closed")
        blocks.append((match.group(1), i, end))
        i = end + 1
    return blocks


def find_examples(text: str) -> list[Example]:
    """The examples of a page: each hcl/yaml block immediately followed (blank lines aside) by a console block."""
    lines = text.split("\n")
    blocks = _fenced_blocks(lines)
    examples: list[Example] = []
    for (info, start, end), following in zip(blocks, blocks[1:] + [None]):  # type: ignore[operator]
        if info not in FILE_NAMES or following is None:
            continue
        next_info, next_start, next_end = following
        if next_info != "console" or any(line.strip() for line in lines[end + 1:next_start]):
            continue
        examples.append(Example(
            language=info, source="\n".join(lines[start + 1:end]) + "\n", line=start + 1,
            console_start=next_start + 1, console_end=next_end, console=lines[next_start + 1:next_end],
        ))
    return examples


def run_example(example: Example) -> tuple[list[str], str]:
    """The CLI's stdout lines for the example, run alone in an empty directory, and its stderr."""
    from eice_checks.adapters.cli import main as cli_main

    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="eice-rule-doc-") as directory:
        Path(directory, example.file_name).write_text(example.source, encoding="utf-8")
        try:
            os.chdir(directory)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                cli_main([example.file_name, "--color", "never"])
        finally:
            os.chdir(cwd)
    return out.getvalue().rstrip("\n").split("\n"), err.getvalue()


HOSTS_HEADING = "## In cfn-lint and Checkov"


def hosts_section(rule) -> str:
    """The page's last section, from the catalog entry ``rule``: its ids and its suppressions."""
    r, ckv, cfn = rule.id, rule.checkov_id, rule.cfn_lint_id
    on = ("the endpoint" if rule.reported_on == "endpoint" else
          "the target (or, in CloudFormation, the resource whose line the finding shows: the security "
          "group or rule)")
    info = (" cfn-lint shows info rules only with `--include-checks I`." if rule.severity == "info" else "")
    return "\n".join([
        HOSTS_HEADING,
        "",
        "| Tool | Id | Suppress on one resource | Everywhere |",
        "|---|---|---|---|",
        f"| eice-checks | `{r}` | Terraform: `# eice-checks:ignore {r} <reason>`; CloudFormation: "
        f"`Metadata: {{eice-checks: {{ignore: [{{rule: {r}, reason: <reason>}}]}}}}` | `--disable {r}` |",
        f"| cfn-lint | `{cfn}` | `Metadata: {{cfn-lint: {{config: {{ignore_checks: [{cfn}]}}}}}}` | "
        f"`--ignore-checks {cfn}` |",
        f"| Checkov | `{ckv}` | Terraform: `#checkov:skip={ckv}:<reason>`; CloudFormation: "
        f"`Metadata: {{checkov: {{skip: [{{id: {ckv}, comment: <reason>}}]}}}}` | `--skip-check {ckv}` |",
        "",
        f"Each suppression works in every tool: the CLI, cfn-lint (`--append-rules=eice_checks.cfn_lint`) and "
        f"Checkov (`--external-checks-dir \"$(eice-checks --checkov-dir)\"`) honour all three conventions. Put it "
        f"on {on}; a Terraform comment goes at the end of the line, or on the line above, of the resource, the "
        f"block or the attribute the finding points at. A suppressed finding does not fail the run: the CLI "
        f"lists it with its reason (JSON `suppressed`, SARIF `suppressions`), Checkov reports it `SKIPPED`, "
        f"cfn-lint leaves it out (`--mandatory-checks {cfn}` overrides cfn-lint's own Metadata only).{info} "
        f"See [Suppressions](../README.md#suppressions).",
        "",
    ])


def _with_hosts_section(text: str, rule) -> str:
    """``text`` with its hosts section replaced by (or ended with) the generated one."""
    at = text.find(f"\n{HOSTS_HEADING}\n")
    body = text if at < 0 else text[:at + 1]
    return body.rstrip("\n") + "\n\n" + hosts_section(rule)


def _rule_of(path: Path):
    from eice_checks.rules import RULES_BY_ID

    return RULES_BY_ID.get(path.stem)


def _check_page(path: Path, update: bool) -> list[str]:
    problems: list[str] = []
    text = path.read_text(encoding="utf-8")
    rule = _rule_of(path)
    if rule is not None and _with_hosts_section(text, rule) != text:
        if update:
            text = _with_hosts_section(text, rule)
            path.write_text(text, encoding="utf-8")
        else:
            problems.append(f"{_display(path)}: the section {HOSTS_HEADING!r} is missing or out of date "
                            f"(run scripts/update_rule_docs.py --update)")
    lines = text.split("\n")
    try:
        examples = find_examples(text)
    except ValueError as exc:
        return [f"{_display(path)}: {exc}"]
    # Rewrite from the last example backwards so earlier line indexes stay valid.
    for example in reversed(examples):
        output, stderr = run_example(example)
        where = f"{_display(path)}:{example.line}"
        if stderr:
            problems.append(f"{where}: the {example.language} example writes to stderr: {stderr.strip()}")
        expected = [example.command, *output]
        if example.console == expected:
            continue
        if update:
            lines[example.console_start:example.console_end] = expected
            continue
        if not example.console or example.console[0] != example.command:
            problems.append(f"{where}: the console block must start with {example.command!r}")
        else:
            problems.append(f"{where}: the {example.language} example's console output is out of date "
                            f"(run scripts/update_rule_docs.py --update)\n" + _diff(example.console[1:], output))
    problems.reverse()  # report in page order
    if update:
        new_text = "\n".join(lines)
        if new_text != text:
            path.write_text(new_text, encoding="utf-8")
    return problems


def _diff(documented: list[str], actual: list[str]) -> str:
    import difflib

    return "\n".join(difflib.unified_diff(documented, actual, "documented", "actual", lineterm=""))


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def rule_pages(rules_dir: Path = RULES_DIR) -> list[Path]:
    return sorted(rules_dir.glob("EICE*.md"))


def check_or_update(update: bool) -> list[str]:
    """Problems with the rule pages' example output; with ``update`` the console blocks are rewritten first."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    pages = rule_pages()
    if not pages:
        return [f"no rule pages found in {_display(RULES_DIR)}"]
    problems: list[str] = []
    for page in pages:
        problems.extend(_check_page(page, update))
    return problems


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Check (or, with --update, rewrite) the example output in rules/EICE*.md.")
    parser.add_argument("--update", action="store_true", help="rewrite the console blocks from the tool's real output")
    args = parser.parse_args(argv)
    problems = check_or_update(update=args.update)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print("rule pages updated" if args.update else "rule pages are current")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
