"""The client address that the admin's login lockout counts failures by."""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle


def client_address(request: HttpRequest) -> str:
    """The address the API's throttling uses: X-Forwarded-For only API_NUM_PROXIES deep.

    One rule for both, so that behind a proxy a lockout is per client, not per proxy, and a
    client cannot pick its own address by sending the header.
    """
    # get_ident reads only the request's headers and META, which a Django request has.
    return BaseThrottle().get_ident(request) or ""  # type: ignore[arg-type]
