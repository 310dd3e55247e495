"""Address-range facts the rules need, with exact containment maths from ``ipaddress``."""
from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Iterable, Optional, Union

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

# Ranges a client on the internet never has (DESIGN.md "Private" for EICE003). Deliberately not
# ipaddress.is_private, which also counts documentation ranges (192.0.2.0/24, ...) as private.
NON_CLIENT_RANGES: tuple[Network, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # RFC 1918
        "100.64.0.0/10",  # RFC 6598 carrier-grade NAT
        "169.254.0.0/16", "127.0.0.0/8", "0.0.0.0/8",  # link-local, loopback, "this network"
        "fc00::/7", "fe80::/10", "::1/128",  # IPv6 ULA, link-local, loopback
    )
)

WORLD = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))


def parse_cidr(text: object) -> Optional[Network]:
    """A network from CIDR text; host bits are tolerated as AWS does not accept them but users write them."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    return _parsed_cidr(text) if len(text) < 100 else None  # (no CIDR is longer; the cache stays small)


@lru_cache(maxsize=4096)
def _parsed_cidr(text: str) -> Optional[Network]:
    """(The same few ranges are written again and again: 0.0.0.0/0, the VPC's, the subnets'.)"""
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def covers(outer: Network, inner: Network) -> Optional[bool]:
    """True when ``outer`` contains all of ``inner``, False when they share no address, None when they overlap partly."""
    if outer.version != inner.version:
        return False
    if inner.subnet_of(outer):  # type: ignore[arg-type]
        return True
    if outer.overlaps(inner):  # type: ignore[arg-type]
        return None
    return False


def covers_all(outer: Network, inners: Iterable[Network]) -> Optional[bool]:
    """Three-valued "outer contains every one of inners" (False only when it contains none of them)."""
    results = [covers(outer, inner) for inner in inners]
    if not results:
        return None
    if all(r is True for r in results):
        return True
    if all(r is False for r in results):
        return False
    return None


def is_network(value: object) -> bool:
    return isinstance(value, (ipaddress.IPv4Network, ipaddress.IPv6Network))


def is_world(network: Network) -> bool:
    return network in WORLD


def can_hold_client_address(network: Network, vpc_ranges: Iterable[Network] = ()) -> bool:
    """Whether some address in ``network`` could be an internet client's (it is not wholly private or VPC space)."""
    for private in (*NON_CLIENT_RANGES, *vpc_ranges):
        if network.version == private.version and network.subnet_of(private):  # type: ignore[arg-type]
            return False
    return True
