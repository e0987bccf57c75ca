"""Outbound HTTP for webhooks, guarded against SSRF.

The host is resolved once; every address must be public (unless
``WEBHOOK_ALLOW_PRIVATE_ADDRESSES``), as must the IPv4 address inside an IPv6 one (mapped,
compatible, NAT64, 6to4, Teredo), and the connection goes to the checked address, with
the Host header and TLS SNI/certificate check on the name. Redirects are never followed,
the response body is read up to a cap.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings


class UnsafeURLError(ValueError):
    """A webhook URL this server must not call."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]
    duration_ms: int


# IPv6 addresses that are only another way of writing an IPv4 address: the IPv4 address is
# where the connection goes. (IPv4-mapped ::ffff:0:0/96 is read by ``ipv4_mapped``.)
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
# IPv6 addresses that a gateway forwards to the IPv4 address inside: the well-known NAT64
# prefix; the local-use one (RFC 8215) is never public, and where the IPv4 address sits in it
# depends on the operator's prefix length.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")


def _ipv4_inside(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)


def _is_public(address: str) -> bool:
    """Whether ``address`` is globally routable, and so is every IPv4 address it carries."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return _is_public(str(ip.ipv4_mapped))
        if ip in _IPV4_COMPATIBLE or ip in _IPV4_TRANSLATED:
            return _is_public(str(_ipv4_inside(ip)))
        if ip in _NAT64_LOCAL:
            return False
        carried: list[ipaddress.IPv4Address] = []
        if ip in _NAT64:
            carried.append(_ipv4_inside(ip))
        if ip.sixtofour:
            carried.append(ip.sixtofour)
        if ip.teredo:
            carried.extend(ip.teredo)  # the server and the client
        if not all(_is_public(str(ipv4)) for ipv4 in carried):
            return False
    return ip.is_global and not ip.is_multicast


def url_check(url: str) -> Target:
    """Where ``url`` leads, if this server may call it; ``UnsafeURLError`` saying why not."""
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURLError("Use an https:// URL.")
    if scheme != "https" and not allow_private:
        raise UnsafeURLError("Use an https:// URL: plain http is allowed only in development.")
    if parts.username or parts.password:
        raise UnsafeURLError("Put no user name or password in the URL; the signature is the proof.")
    host = parts.hostname
    if not host:
        raise UnsafeURLError("The URL has no host name.")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as error:
        raise UnsafeURLError("The URL's port is not a number between 1 and 65535.") from error
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeURLError(f"The host {host!r} does not resolve.") from error
    addresses = [str(info[4][0]) for info in infos]
    if not allow_private:
        private = [address for address in addresses if not _is_public(address)]
        if private:
            raise UnsafeURLError(
                f"The host {host!r} resolves to a non-public address ({private[0]}); "
                "webhooks go only to public addresses."
            )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=scheme, host=host, port=port, path=path, address=addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address
        self._tls = ssl.create_default_context()

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def post(url: str, *, body: bytes, headers: dict[str, str]) -> Reply:
    """POST ``body`` to ``url`` once; raises ``UnsafeURLError`` or ``OSError`` on failure."""
    target = url_check(url)
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(target, timeout)
    else:
        connection = _PinnedHTTPConnection(target, timeout)
    started = time.monotonic()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read(settings.WEBHOOK_MAX_RESPONSE_BYTES)
        return Reply(
            status=response.status,
            body=content,
            headers={name.lower(): value for name, value in response.getheaders()},
            duration_ms=int((time.monotonic() - started) * 1000),
        )
    finally:
        connection.close()
