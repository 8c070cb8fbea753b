"""Where volunteers reach a review server, and the invite link they open.

The page (review/static/app.js) reads the token from the link's fragment, which browsers never send to a
server, so it stays out of access logs.
"""

from __future__ import annotations

import ipaddress
import socket

from sartriage.store import Store
from sartriage.store.info import get_info, put_info

WILDCARDS = ("0.0.0.0", "::", "")


def invite_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/#invite={token}"


def lan_address() -> str:
    """This machine's address on the local network (no packet is sent), or loopback when offline."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))
        return str(probe.getsockname()[0])
    except OSError:
        return "127.0.0.1"
    finally:
        probe.close()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def server_url(host: str, port: int, tls: bool = False) -> str:
    """The address others use for a server listening on ``host``: the LAN address for every network."""
    shown = lan_address() if host in WILDCARDS else host
    if ":" in shown:  # an IPv6 address
        shown = f"[{shown}]"
    return f"{'https' if tls else 'http'}://{shown}:{port}"


URL_KEY = "review.url"  # where the last review server said volunteers reach it (store_info)
DEFAULT_PORT = 8000


def remember_url(store: Store, url: str) -> None:
    """Record where volunteers reach the review server now serving this mission (CLI or app), so invite
    links made later (`sartriage volunteers add`) point there."""
    put_info(store, URL_KEY, url)


def known_url(store: Store) -> str:
    """Where the last review server of this mission said volunteers reach it."""
    url = get_info(store, URL_KEY)
    return url or server_url("0.0.0.0", DEFAULT_PORT)
