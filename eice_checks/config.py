"""Settings: defaults, then ``[tool.eice-checks]`` in pyproject.toml, then command-line options."""
from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from .analysis.findings import SEVERITIES
from .escape import excerpt
from .files import DEFAULT_MAX_FILE_BYTES, FileReader, UnreadableFile
from .rules import RULES_BY_ID

DEFAULT_ADMIN_PORTS = (22, 3389)
_SIZE = re.compile(r"\s*(\d+)\s*([kmg]?)(?:i?b)?\s*", re.I)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Config:
    fail_on: str = "error"
    admin_ports: tuple[int, ...] = DEFAULT_ADMIN_PORTS
    enable: Optional[frozenset[str]] = None  # None: every rule
    disable: frozenset[str] = field(default_factory=frozenset)
    max_file_size: int = DEFAULT_MAX_FILE_BYTES  # bytes; larger files are skipped with a note
    source: str = ""  # the file the settings came from, for messages

    def rule_enabled(self, rule_id: str) -> bool:
        return (self.enable is None or rule_id in self.enable) and rule_id not in self.disable

    def updated(self, **changes: Any) -> "Config":
        values = {k: v for k, v in changes.items() if v is not None}
        return _validated(replace(self, **values))


def _validated(config: Config) -> Config:
    if config.fail_on not in (*SEVERITIES, "never"):
        raise ConfigError(f"fail-on must be one of {', '.join((*SEVERITIES, 'never'))}, not {excerpt(repr(config.fail_on))}")
    if not config.admin_ports or any(not isinstance(p, int) or isinstance(p, bool) or not 0 < p < 65536 for p in config.admin_ports):
        raise ConfigError(f"admin-ports must be port numbers 1-65535, not {excerpt(repr(list(config.admin_ports)))}")
    unknown = sorted((set(config.enable or ()) | set(config.disable)) - set(RULES_BY_ID))
    if unknown:
        raise ConfigError(f"unknown rule id(s): {excerpt(', '.join(unknown))} (known: {', '.join(RULES_BY_ID)})")
    return config


def parse_size(value: Any) -> int:
    """A file size: a number of bytes, or a number with K, M or G (binary: 20M = 20 MiB)."""
    match = _SIZE.fullmatch(value) if isinstance(value, str) else None
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    elif match:
        size = int(match.group(1)[:12]) * _UNITS[match.group(2).lower()]
    else:
        raise ConfigError(f"max-file-size takes a size such as 20M, 512K or 1000000, not {excerpt(repr(value))}")
    if size <= 0:
        raise ConfigError("max-file-size must be more than 0")
    return size


def find_pyproject(start: str = ".") -> Optional[str]:
    """The nearest pyproject.toml at or above ``start``."""
    directory = os.path.abspath(start)
    while True:
        candidate = os.path.join(directory, "pyproject.toml")
        if os.path.lexists(candidate):  # whatever it is: the reader refuses a FIFO or device with a clear error
            return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def load_config(path: Optional[str]) -> Config:
    """Config from a pyproject.toml's [tool.eice-checks] table; defaults when there is none."""
    if path is None:
        return Config()
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        # the same reader as for sources: a regular file (a FIFO would block), bounded in size, UTF-8
        text = FileReader().read_text(path, confined=False)
        settings = tomllib.loads(text)
    except UnreadableFile as exc:
        raise ConfigError(f"{path}{f':{exc.line}' if exc.line else ''}: cannot read settings: {exc.reason}") from None
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise ConfigError(f"{path}: cannot read settings: {excerpt(str(exc), 80)}") from None
    table = settings.get("tool", {}).get("eice-checks", {}) if isinstance(settings.get("tool"), dict) else {}
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.eice-checks] must be a table")
    known = {"fail-on", "admin-ports", "enable", "disable", "max-file-size"}
    extra = sorted(set(table) - known)
    if extra:
        raise ConfigError(f"{path}: unknown setting(s) in [tool.eice-checks]: {excerpt(', '.join(extra))} (known: {', '.join(sorted(known))})")
    try:
        return _validated(Config(
            fail_on=str(table.get("fail-on", "error")),
            admin_ports=tuple(table.get("admin-ports", DEFAULT_ADMIN_PORTS)),
            enable=frozenset(_ids(table["enable"])) if "enable" in table else None,
            disable=frozenset(_ids(table.get("disable", []))),
            max_file_size=parse_size(table.get("max-file-size", DEFAULT_MAX_FILE_BYTES)),
            source=path,
        ))
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except TypeError:
        raise ConfigError(f"{path}: admin-ports, enable and disable must be lists") from None


def _ids(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    return [str(v).strip().upper() for v in value if str(v).strip()]


def parse_rule_ids(text: str) -> frozenset[str]:
    return frozenset(_ids(text))
