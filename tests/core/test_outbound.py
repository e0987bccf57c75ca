"""The outbound guard with production's setting: only globally routable destinations.

An IPv6 address that carries an IPv4 one (mapped, compatible, translated, NAT64, 6to4,
Teredo) is judged by that IPv4 address too; IPv4 written in other forms is judged as the
address it means.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError

from core import outbound
from notifications import services
from notifications.models import DeliveryAttempt, EventType, WebhookEndpoint
from tests import factories as f
from tests.api.conftest import api  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

# Other spellings of 127.0.0.1, as inet_aton reads them: only in a URL, never from DNS.
IPV4_SPELLINGS = ["0x7f.1", "2130706433", "0177.0.0.1", "127.1", "0x7f000001"]

NON_PUBLIC = [
    "127.0.0.1",
    "10.0.0.1",
    "169.254.169.254",
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",  # noqa: S104 (an address to refuse, not one to bind)
    # IPv6 itself.
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "ff02::1",
    # IPv4-mapped and IPv4-compatible.
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "::127.0.0.1",
    "::a9fe:a9fe",
    # IPv4-translated (SIIT).
    "::ffff:0:7f00:1",
    # NAT64, the well-known prefix: the metadata address, a private one, loopback.
    "64:ff9b::a9fe:a9fe",
    "64:ff9b::a00:1",
    "64:ff9b::7f00:1",
    # NAT64, the local-use prefix (the IPv4's place in it depends on the network).
    "64:ff9b:1::a00:1",
    "64:ff9b:1:808:800:800::",
    # 6to4.
    "2002:a9fe:a9fe::",
    "2002:7f00:1::1",
    "2002:a00:1::",
    # Teredo: a private server, a private (obfuscated) client; and with both public, as
    # Teredo itself is reached only through relays, not globally routed.
    "2001:0:a00:1::f7f7:f7f7",
    "2001:0:808:808::f5ff:fffe",
    "2001:0:808:808::f7f7:f7f7",
]

PUBLIC = [
    "8.8.8.8",
    "93.184.215.14",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",  # mapped: connecting to it is connecting to 8.8.8.8
    "64:ff9b::808:808",  # NAT64 of a public address
    "2002:808:808::1",  # 6to4 of a public address
]


def url_of(address: str) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"https://{host}/hook"


@pytest.fixture(autouse=True)
def _production(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False


@pytest.fixture
def resolve_to(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, str], None]]:
    """Make a host name resolve to an address, as a DNS server (outside the project) would."""
    real = socket.getaddrinfo
    names: dict[str, str] = {}

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in names:
            address = names[host]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, port, 0, 0) if ":" in address else (address, port)
            return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield names.__setitem__


@pytest.mark.parametrize("address", NON_PUBLIC + IPV4_SPELLINGS)
def test_a_non_public_address_in_the_url_is_refused(address: str) -> None:
    with pytest.raises(outbound.UnsafeURLError, match="non-public"):
        outbound.url_check(url_of(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_a_public_address_in_the_url_is_accepted(address: str) -> None:
    target = outbound.url_check(url_of(address))

    assert target.port == 443 and target.path == "/hook"


@pytest.mark.parametrize("address", NON_PUBLIC)
def test_a_name_resolving_to_a_non_public_address_is_refused(
    resolve_to: Callable[[str, str], None], address: str
) -> None:
    resolve_to("hooks.example.net", address)

    with pytest.raises(outbound.UnsafeURLError, match="non-public"):
        outbound.post("https://hooks.example.net/hook", body=b"{}", headers={})


@pytest.mark.parametrize("address", PUBLIC)
def test_a_name_resolving_to_a_public_address_is_accepted(
    resolve_to: Callable[[str, str], None], address: str
) -> None:
    resolve_to("hooks.example.net", address)

    target = outbound.url_check("https://hooks.example.net/hook")

    assert target.address == address and target.host == "hooks.example.net"


def webhook_manager() -> User:
    user = f.editor()
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="notifications", codename__endswith="webhookendpoint"
        )
    )
    return user


# The forms a security probe found accepted in production.
ISSUE_FORMS = ["::127.0.0.1", "64:ff9b::a9fe:a9fe", "64:ff9b::a00:1", "2002:a9fe:a9fe::"]


@pytest.mark.parametrize("address", ISSUE_FORMS + IPV4_SPELLINGS)
def test_registering_an_endpoint_at_such_an_address_is_refused_by_the_service(
    address: str,
) -> None:
    with pytest.raises(ValidationError) as error:
        services.webhook_endpoint_create(
            actor=webhook_manager(),
            url=url_of(address),
            event_types=[EventType.CLAIM_STATUS_CHANGED],
        )
    assert "non-public" in " ".join(error.value.message_dict["url"])
    assert not WebhookEndpoint.objects.exists()


def _register(api: Callable[[User | None], Any], address: str) -> Any:  # noqa: F811
    """An endpoint at ``address`` registered over the API."""
    return api(webhook_manager()).post(
        "/api/v1/webhooks/",
        {"url": url_of(address), "event_types": [EventType.CLAIM_STATUS_CHANGED]},
        format="json",
    )


@pytest.mark.parametrize("address", ISSUE_FORMS)
def test_registering_an_endpoint_at_such_an_address_is_a_400_in_the_api(
    api: Callable[[User | None], Any],  # noqa: F811
    address: str,
) -> None:
    response = _register(api, address)

    assert response.status_code == 400, response.content
    assert "non-public" in " ".join(response.json()["errors"]["url"])
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("address", IPV4_SPELLINGS)
def test_other_spellings_of_ipv4_are_a_400_in_the_api(
    api: Callable[[User | None], Any],  # noqa: F811
    address: str,
) -> None:
    # The API's URL field refuses these spellings before the guard sees them.
    response = _register(api, address)

    assert response.status_code == 400, response.content
    assert response.json()["errors"]["url"]
    assert not WebhookEndpoint.objects.exists()


def test_a_public_endpoint_is_registered_in_the_api(
    api: Callable[[User | None], Any],  # noqa: F811
) -> None:
    response = api(webhook_manager()).post(
        "/api/v1/webhooks/",
        {"url": url_of("2606:4700:4700::1111"), "event_types": [EventType.CLAIM_STATUS_CHANGED]},
        format="json",
    )

    assert response.status_code == 201, response.content


def test_a_name_that_resolves_elsewhere_at_send_time_is_not_called(
    resolve_to: Callable[[str, str], None],
) -> None:
    # Public when registered; the metadata address through NAT64 when the event is sent.
    resolve_to("hooks.example.net", "2606:4700:4700::1111")
    manager = webhook_manager()
    endpoint, _ = services.webhook_endpoint_create(
        actor=manager,
        url="https://hooks.example.net/hook",
        event_types=[EventType.CLAIM_STATUS_CHANGED],
    )
    event = services.webhook_test_send(actor=manager, endpoint=endpoint)
    resolve_to("hooks.example.net", "64:ff9b::a9fe:a9fe")

    services.delivery_send(delivery_id=event.deliveries.get().pk)

    attempt = DeliveryAttempt.objects.get()
    assert attempt.status_code is None
    assert "UnsafeURLError" in attempt.error and "64:ff9b::a9fe:a9fe" in attempt.error
