"""What evaluation reads from: the caller's root names and its lazily computed objects."""
from __future__ import annotations

from typing import Any, Protocol

from eice_checks.model.values import Unknown


class Scope(Protocol):
    def resolve_root(self, name: str) -> Any:
        """Value of a root name that is not a local iteration variable (``var``, ``data``...)."""


class Traversable:
    """Base class for scope objects whose attributes are computed lazily."""

    def get_attr(self, name: str) -> Any:
        return Unknown(f"no attribute {name}")

    def get_index(self, key: Any) -> Any:
        return Unknown("not indexable")

    def splat(self) -> Any:
        return Unknown("splat")
