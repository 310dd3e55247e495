"""Phrases several rules use, so one message style and one vocabulary per tool."""
from __future__ import annotations

from ..analysis.paths import port_label
from ..model.network import Endpoint, Model

_PRESERVE_PROPERTY = {"cloudformation": "PreserveClientIp", "terraform": "preserve_client_ip"}
_SG_PROPERTY = {"cloudformation": "SecurityGroupIds", "terraform": "security_group_ids"}
_TOOL_NAME = {"cloudformation": "CloudFormation", "terraform": "the Terraform AWS provider"}


def preserve_property(endpoint: Endpoint) -> str:
    return _PRESERVE_PROPERTY.get(endpoint.tool, "preserve_client_ip")


def sg_property(endpoint: Endpoint) -> str:
    return _SG_PROPERTY.get(endpoint.tool, "security_group_ids")


def mode_phrase(endpoint: Endpoint) -> str:
    """E.g. 'client IP preservation is on (preserve_client_ip is not set; the Terraform AWS provider defaults it to true)'."""
    state = "on" if endpoint.preserve_client_ip is True else "off"
    prop = preserve_property(endpoint)
    if endpoint.preserve_explicit:
        return f"client IP preservation is {state} ({prop} = {str(endpoint.preserve_client_ip).lower()})"
    default = str(endpoint.preserve_client_ip).lower()
    return f"client IP preservation is {state} ({prop} is not set; {_TOOL_NAME.get(endpoint.tool, endpoint.tool)} defaults it to {default})"


def ports_phrase(ports: list[int]) -> str:
    """E.g. '22 (SSH) or 3389 (RDP)', '22 (SSH), 3389 (RDP) or 2222'."""
    return _either([port_label(p) for p in ports])


def ports_short(ports: tuple[int, ...] | list[int]) -> str:
    """E.g. '22 or 3389'."""
    return _either([str(p) for p in ports])


def _either(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def group_list(model: Model, keys: tuple[str, ...]) -> tuple[str, ...]:
    """Groups as the user names them: the resource address, or the literal id of one outside the scan."""
    return tuple(model.security_groups[k].name if k in model.security_groups else k for k in keys)


def group_names(model: Model, keys: tuple[str, ...]) -> str:
    return ", ".join(group_list(model, keys)) or "no security group"
