"""Settings: defaults, then ``[tool.eice-checks]`` in pyproject.toml, then command-line options."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from .analysis.findings import SEVERITIES
from .rules import RULES_BY_ID

DEFAULT_ADMIN_PORTS = (22, 3389)


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Config:
    fail_on: str = "error"
    admin_ports: tuple[int, ...] = DEFAULT_ADMIN_PORTS
    enable: Optional[frozenset[str]] = None  # None: every rule
    disable: frozenset[str] = field(default_factory=frozenset)
    source: str = ""  # the file the settings came from, for messages

    def rule_enabled(self, rule_id: str) -> bool:
        return (self.enable is None or rule_id in self.enable) and rule_id not in self.disable

    def updated(self, **changes: Any) -> "Config":
        values = {k: v for k, v in changes.items() if v is not None}
        return _validated(replace(self, **values))


def _validated(config: Config) -> Config:
    if config.fail_on not in (*SEVERITIES, "never"):
        raise ConfigError(f"fail-on must be one of {', '.join((*SEVERITIES, 'never'))}, not {config.fail_on!r}")
    if not config.admin_ports or any(not isinstance(p, int) or isinstance(p, bool) or not 0 < p < 65536 for p in config.admin_ports):
        raise ConfigError(f"admin-ports must be port numbers 1-65535, not {list(config.admin_ports)!r}")
    unknown = sorted((set(config.enable or ()) | set(config.disable)) - set(RULES_BY_ID))
    if unknown:
        raise ConfigError(f"unknown rule id(s): {', '.join(unknown)} (known: {', '.join(RULES_BY_ID)})")
    return config


def find_pyproject(start: str = ".") -> Optional[str]:
    """The nearest pyproject.toml at or above ``start``."""
    directory = os.path.abspath(start)
    while True:
        candidate = os.path.join(directory, "pyproject.toml")
        if os.path.isfile(candidate):
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
        with open(path, "rb") as handle:
            table = tomllib.load(handle).get("tool", {}).get("eice-checks", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read settings: {exc}") from None
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.eice-checks] must be a table")
    known = {"fail-on", "admin-ports", "enable", "disable"}
    extra = sorted(set(table) - known)
    if extra:
        raise ConfigError(f"{path}: unknown setting(s) in [tool.eice-checks]: {', '.join(extra)} (known: {', '.join(sorted(known))})")
    try:
        return _validated(Config(
            fail_on=str(table.get("fail-on", "error")),
            admin_ports=tuple(table.get("admin-ports", DEFAULT_ADMIN_PORTS)),
            enable=frozenset(_ids(table["enable"])) if "enable" in table else None,
            disable=frozenset(_ids(table.get("disable", []))),
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
