"""What every front end shares: problems with input files, and naming of model keys."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ..escape import bounded_message
from ..model.values import EntityRef, is_unknown, shown

# Tag that marks a resource as an intended EICE target even when nothing else says so.
TARGET_TAG = "eice-checks:target"

# The longest number literal read, in characters: far beyond any real value, and short enough that no
# literal (hexadecimal, binary and base-60 YAML integers included) reaches Python's limit of 4300
# digits for converting between int and str, which would raise in the middle of a scan.
MAX_NUMBER_CHARS = 1000
NUMBER_TOO_LONG = f"number longer than {MAX_NUMBER_CHARS} characters"
# A host that decodes sources itself (cfn-lint: YAML's 0b... and 0x... too) hands over the integer,
# not its literal: one of more decimal digits than that is refused as the loader refuses the literal.
MAX_NUMBER_BITS_DECODED = int(MAX_NUMBER_CHARS / 0.30103)  # log10(2) digits per bit


@dataclass(frozen=True)
class InputError:
    """A file (or part of one) that could not be read; reported, and the scan goes on.

    ``message`` is bounded and escaped here, whoever builds it: messages quote input, and no output
    format may carry more of a file than a short excerpt (see escape.bounded_message). ``file`` is
    kept as the file system spells it; the output formats escape it."""

    file: str
    message: str
    line: Optional[int] = None
    column: Optional[int] = None  # 1-based, in characters

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", bounded_message(self.message))

    def render(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        where += f":{self.column}" if self.line and self.column else ""
        return f"{where}: {self.message}"


def make_key(scope: str, address: str) -> str:
    return f"{scope}#{address}"


def display_name(value: Any) -> str:
    """How a resolved value is named in a message: the address of a reference, the literal otherwise."""
    if isinstance(value, EntityRef):
        return value.label or value.key
    if is_unknown(value):
        return "an unresolved value"
    return shown(value)


def target_tag_flag(value: Any) -> Optional[bool]:
    """The user's eice-checks:target tag: True (a target), False (not one), None (untagged/unreadable)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None
