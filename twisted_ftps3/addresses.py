# -*- test-case-name: tests.test_defence -*-
"""
Client addresses as the login defence, the session limits and the users'
allowed networks see them.

A listener on an IPv6 socket may see an IPv4 client as an IPv4-mapped
address (C{::ffff:192.0.2.1}); counted or matched as written, one client
would be two, and an IPv4 network would never match it. Every part that
keys or matches on a client's address asks here first.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

__all__ = ["client_ip", "in_networks", "normal_address"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_ip(host: str) -> IPAddress | None:
    """The address C{host} names, IPv4 for an IPv4-mapped one; C{None} if it is none."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def normal_address(host: str) -> str:
    """C{host} written one way for each client: what counts are keyed by."""
    address = client_ip(host)
    return host if address is None else str(address)


def in_networks(host: str | None, networks: Iterable[IPNetwork]) -> bool:
    """Whether C{host} is in one of C{networks}; an address that is none is in none."""
    address = None if host is None else client_ip(host)
    if address is None:
        return False
    return any(address.version == net.version and address in net for net in networks)
