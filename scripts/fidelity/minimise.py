"""Shrinking a generated module while a disagreement remains: top-level blocks of each .tf file,
lines of a locals block and of terraform.tfvars are dropped one at a time (greedy, until nothing more
can go). Each candidate is planned by Terraform, so this takes a plan per try."""
from __future__ import annotations

from typing import Callable


def blocks(text: str) -> list[str]:
    """Top-level blocks (and lines between them) of a generated .tf file, by brace depth."""
    parts, current, depth = [], [], 0
    for line in text.splitlines(keepends=True):
        current.append(line)
        depth += line.count("{") - line.count("}")
        if depth == 0 and line.strip():
            parts.append("".join(current))
            current = []
    if current:
        parts.append("".join(current))
    return parts


def _candidates(files: dict[str, str]):
    for path in sorted(files):
        text = files[path]
        if path.endswith(".tfvars"):
            lines = text.splitlines(keepends=True)
            for i in range(len(lines)):
                yield {**files, path: "".join(lines[:i] + lines[i + 1:])}
            continue
        parts = blocks(text)
        for i, part in enumerate(parts):
            if part.lstrip().startswith(("terraform {", "provider ")):
                continue
            if part.lstrip().startswith("locals {"):
                lines = part.splitlines(keepends=True)
                for j in range(1, len(lines) - 1):
                    yield {**files, path: "".join(parts[:i]) + "".join(lines[:j] + lines[j + 1:]) + "".join(parts[i + 1:])}
            yield {**files, path: "".join(parts[:i] + parts[i + 1:])}


def shrink(files: dict[str, str], still_fails: Callable[[dict[str, str]], bool], budget: int = 200) -> dict[str, str]:
    current = dict(files)
    progress = True
    while progress and budget > 0:
        progress = False
        for candidate in _candidates(current):
            budget -= 1
            if budget <= 0:
                break
            if still_fails(candidate):
                current = {p: t for p, t in candidate.items() if t.strip()}
                progress = True
                break
    return current
