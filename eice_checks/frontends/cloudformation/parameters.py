"""Parameter values for CloudFormation templates, as `aws cloudformation deploy` and CodePipeline take them."""
from __future__ import annotations

import json
import os
from typing import Any

from ...escape import excerpt
from ...files import FileReader, UnreadableFile
from ...model.values import Unknown
from .resolve import parameter_text


class ParameterError(Exception):
    pass


def parse_parameters(specs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` items and JSON files, later ones winning. Files are the AWS CLI's list
    (``[{"ParameterKey": "Env", "ParameterValue": "prod"}]``) or a CodePipeline template
    configuration (``{"Parameters": {"Env": "prod"}}``); ``file://`` prefixes are accepted."""
    values: dict[str, Any] = {}
    for spec in specs:
        path = spec[len("file://"):] if spec.startswith("file://") else spec
        if os.path.lexists(path):  # whatever it is: the reader refuses FIFOs and devices with a clear error
            values.update(_read_file(path))
        elif "=" in spec and spec.partition("=")[0].strip():
            key, _, value = spec.partition("=")
            values[key.strip()] = value
        else:
            raise ParameterError(f"--parameters takes KEY=VALUE or a JSON file, not {spec!r}")
    return values


def _read_file(path: str) -> dict[str, Any]:
    try:
        # named by the user: read wherever it is, but only as a regular file of bounded size
        data: Any = json.loads(FileReader().read_text(path, confined=False))
    except UnreadableFile as exc:
        raise ParameterError(f"{path}{f':{exc.line}' if exc.line else ''}: cannot read parameters: {exc.reason}") from None
    except (ValueError, RecursionError) as exc:
        raise ParameterError(f"{path}: cannot read parameters: invalid JSON: {excerpt(str(exc), 80)}") from None
    if isinstance(data, dict) and isinstance(data.get("Parameters"), dict):
        return {str(k): _text(v) for k, v in data["Parameters"].items()}
    if isinstance(data, list) and all(isinstance(i, dict) and "ParameterKey" in i for i in data):
        return {str(i["ParameterKey"]): _previous(i) if i.get("UsePreviousValue") else _text(i.get("ParameterValue", ""))
                for i in data}
    raise ParameterError(f'{path}: expected [{{"ParameterKey": ..., "ParameterValue": ...}}] or {{"Parameters": {{...}}}}')


def _text(value: Any) -> str:
    return ",".join(parameter_text(v) for v in value) if isinstance(value, list) else parameter_text(value)


def _previous(item: dict) -> Unknown:
    return Unknown(f"parameter {item['ParameterKey']} keeps its deployed value (UsePreviousValue)")
