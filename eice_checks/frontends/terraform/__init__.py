"""Terraform front end: each directory of .tf files is one module."""
from __future__ import annotations

from ...model.builder import ModelBuilder
from ..common import InputError
from .hcl import HclFileError, HclUnavailable, parse_file


def add_module(directory: str, files: list[tuple[str, str]], builder: ModelBuilder, errors: list[InputError]) -> int:
    """Parse a module's files (path, text) and add what they declare; returns how many files were read."""
    from .build import ModuleBuilder  # imported with the first module: keeps start-up lean when there is no .tf
    from .module import Module

    module = Module(directory)
    read = 0
    for path, text in files:
        try:
            module.add_file(path, parse_file(text))
            read += 1
        except HclFileError as exc:
            errors.append(InputError(path, f"invalid HCL: {exc.message}", exc.line))
        except HclUnavailable as exc:
            errors.append(InputError(directory, f"{len(files)} Terraform file(s) skipped: {exc}"))
            return read
    try:
        ModuleBuilder(module, builder).build()
    except Exception as exc:  # a bug must cost one module, never the scan or a traceback
        errors.append(InputError(directory, f"internal error while reading the module: {type(exc).__name__}: {exc}"))
    return read


__all__ = ["add_module"]
