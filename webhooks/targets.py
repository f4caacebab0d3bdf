"""Where a delivery may go: public addresses only, checked after resolution.

A webhook URL is user input pointing the server at a host. Without a check it
reaches the loopback API, the cloud's metadata service or the LAN (SSRF). The
name is resolved once, every address checked, and the request is sent to the
checked address (so a second lookup cannot answer differently), with the name
kept for `Host` and TLS. Redirects are not followed: a 3xx is a failed attempt.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings

from koyalite.errors import KoyaError


class TargetRefused(KoyaError):
    status = 400
    code = "webhook_target_refused"


@dataclass(frozen=True, slots=True)
class Target:
    url: str  # with the checked address in place of the name
    host_header: str
    server_name: str | None  # for TLS: the name the certificate must carry


def check_url(url: str) -> None:
    """Refuse a URL that is not http(s) with a host (at endpoint creation)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused(f"{url!r} is not an http or https URL with a host")
    if parts.username or parts.password:
        raise TargetRefused("a webhook URL may not carry a user name or password")


def resolve(url: str) -> Target:
    check_url(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise TargetRefused(f"cannot resolve {host}: {error.strerror}") from None
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not settings.WEBHOOKS_ALLOW_PRIVATE:
        for address in addresses:
            if not is_public(address):
                raise TargetRefused(
                    f"{host} resolves to {address}, a private or reserved address; "
                    "set KOYALITE_WEBHOOKS_ALLOW_PRIVATE=true to allow it"
                )
    address = addresses[0]
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    host_header = parts.netloc.rsplit("@", 1)[-1]
    is_name = _is_name(host)
    return Target(
        url=urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")),
        host_header=host_header,
        server_name=host if parts.scheme == "https" and is_name else None,
    )


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _is_name(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return True
    return False


@cache
def _tls() -> ssl.SSLContext:
    # Loading the CA bundle takes tens of milliseconds: once per process, not
    # once per request. A context holds no connection state, so sharing it
    # keeps each request's own connection (and its SNI) separate.
    return httpx.create_ssl_context()


def outgoing_client(timeout_ms: int) -> httpx.Client:
    """A client for outgoing requests to user-given URLs: no redirects
    followed, the process's TLS context."""
    return httpx.Client(
        timeout=timeout_ms / 1000, follow_redirects=False, verify=_tls()
    )


@contextmanager
def stream(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    content: bytes,
    headers: dict[str, str],
) -> Iterator[httpx.Response]:
    """Send to the checked address of `url`, its name kept for Host and TLS;
    `TargetRefused` for a URL that may not be reached."""
    target = resolve(url)
    extensions = {"sni_hostname": target.server_name} if target.server_name else {}
    with client.stream(
        method,
        target.url,
        content=content,
        headers={**headers, "host": target.host_header},
        extensions=extensions,
    ) as response:
        yield response


def excerpt(response: httpx.Response, limit: int) -> str:
    """The first `limit` bytes of a streamed body, as text; the rest is not read."""
    taken = b""
    for chunk in response.iter_bytes():
        taken += chunk
        if len(taken) >= limit:
            break
    return taken[:limit].decode("utf-8", "replace")
