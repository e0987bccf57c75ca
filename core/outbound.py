"""Outbound HTTP (webhooks, imports from a URL), guarded against SSRF.

The host is resolved once; every address must be public (unless
``WEBHOOK_ALLOW_PRIVATE_ADDRESSES``), as must the IPv4 address inside an IPv6 one (mapped,
compatible, NAT64, 6to4, Teredo), and the connection goes to the checked address, with
the Host header and TLS SNI/certificate check on the name. ``post`` never follows a redirect;
``get`` follows at most ``MAX_REDIRECTS``, one hop at a time, checking each like the first.
Response bodies are read up to a cap.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings


class UnsafeURLError(ValueError):
    """A URL this server must not call."""


class UnresolvedHostError(UnsafeURLError):
    """The host does not resolve (now: a name that DNS may know later)."""


class FetchError(OSError):
    """A GET that gave no usable answer (an error status, too many redirects, too large, too
    slow). ``transient``: another try later may succeed (a 5xx or 429, a timeout)."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


MAX_REDIRECTS = 5


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


def url_check(url: str, *, https_only: bool = True) -> Target:
    """Where ``url`` leads, if this server may call it; ``UnsafeURLError`` saying why not.

    ``https_only``: plain http only in development (webhooks carry what must stay secret);
    reading public data (``get``) may take http.
    """
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURLError("Use an https:// URL." if https_only else "Use an http(s):// URL.")
    if scheme != "https" and https_only and not allow_private:
        raise UnsafeURLError("Use an https:// URL: plain http is allowed only in development.")
    if parts.username or parts.password:
        raise UnsafeURLError("Put no user name or password in the URL.")
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
        raise UnresolvedHostError(f"The host {host!r} does not resolve.") from error
    addresses = [str(info[4][0]) for info in infos]
    if not allow_private:
        private = [address for address in addresses if not _is_public(address)]
        if private:
            raise UnsafeURLError(
                f"The host {host!r} resolves to a non-public address ({private[0]}); "
                "this server calls only public addresses."
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


def _connection(target: Target, timeout: float) -> http.client.HTTPConnection:
    if target.scheme == "https":
        return _PinnedHTTPSConnection(target, timeout)
    return _PinnedHTTPConnection(target, timeout)


def _request(
    target: Target,
    method: str,
    *,
    body: bytes | None,
    headers: dict[str, str],
    max_bytes: int,
    deadline: float | None = None,
) -> Reply:
    """One request to the checked address; the body read up to ``max_bytes`` + 1, and by
    ``deadline`` (a ``time.monotonic()``) when given, however slowly the server sends it."""
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    if deadline is not None:
        timeout = max(0.1, min(timeout, deadline - time.monotonic()))
    connection = _connection(target, timeout)
    started = time.monotonic()
    try:
        connection.request(method, target.path, body=body, headers=headers)
        response = connection.getresponse()
        if deadline is None:
            content = response.read(max_bytes + 1)
        else:
            chunks: list[bytes] = []
            size = 0
            while size <= max_bytes:
                if time.monotonic() > deadline:
                    raise FetchError("The server took too long to send it.", transient=True)
                chunk = response.read1(min(65536, max_bytes + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            content = b"".join(chunks)
        return Reply(
            status=response.status,
            body=content,
            headers={name.lower(): value for name, value in response.getheaders()},
            duration_ms=int((time.monotonic() - started) * 1000),
        )
    finally:
        connection.close()


def post(url: str, *, body: bytes, headers: dict[str, str]) -> Reply:
    """POST ``body`` to ``url`` once; raises ``UnsafeURLError`` or ``OSError`` on failure."""
    cap = settings.WEBHOOK_MAX_RESPONSE_BYTES
    reply = _request(url_check(url), "POST", body=body, headers=headers, max_bytes=cap)
    return Reply(reply.status, reply.body[:cap], reply.headers, reply.duration_ms)


def get(
    url: str,
    *,
    max_bytes: int,
    accept: str = "*/*",
    timeout: float | None = None,
    purpose: str = "import",
) -> tuple[str, Reply]:
    """GET ``url``, following up to ``MAX_REDIRECTS`` redirects, each hop checked like the
    first; the final URL and its 2xx answer, within ``timeout`` seconds in all when given.
    ``UnsafeURLError`` for a URL it must not call, ``FetchError`` (an ``OSError``, as network
    failures are) for an answer it cannot use."""
    headers = {"Accept": accept, "User-Agent": f"claim-tracker (+{purpose})"}
    deadline = None if timeout is None else time.monotonic() + timeout
    for _hop in range(MAX_REDIRECTS + 1):
        target = url_check(url, https_only=False)
        reply = _request(
            target, "GET", body=None, headers=headers, max_bytes=max_bytes, deadline=deadline
        )
        if reply.status in (301, 302, 303, 307, 308) and reply.headers.get("location"):
            url = urljoin(url, reply.headers["location"])
            continue
        if not 200 <= reply.status < 300:
            raise FetchError(
                f"{url[:200]} answered HTTP {reply.status}.",
                transient=reply.status >= 500 or reply.status in (408, 429),
            )
        if len(reply.body) > max_bytes:
            raise FetchError(f"{url[:200]} sent more than {max_bytes:,} bytes.")
        return url, reply
    raise FetchError(f"More than {MAX_REDIRECTS} redirects from {url[:200]}.")
