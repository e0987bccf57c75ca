"""Throttling of requests that are refused for want of valid credentials.

DRF checks permissions before throttles, so a request with no credentials, or a wrong or
expired token, was answered 401 without ever being counted: such clients were never
throttled. These requests count against the client's address like any anonymous request.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.request import Request

UNAUTHENTICATED = (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)


def throttled_instead(exc: Exception, request: Request | None, view: Any) -> Exception:
    """A 429 in place of a 401 when the client has made too many requests.

    The throttles run only on 401s: those are raised while authenticating and checking
    permissions, before the view's own throttle check, so no request is counted twice.
    """
    if not isinstance(exc, UNAUTHENTICATED) or request is None or view is None:
        return exc
    try:
        view.check_throttles(request)
    except exceptions.Throttled as throttled:
        return throttled
    return exc
