from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from api.models import ApiToken
from api.services import api_token_authenticate


class BearerTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>`` with a per-user API token."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the token as 'Authorization: Bearer <token>', with no spaces in it."
            )
        try:
            raw = header[1].decode()
        except UnicodeDecodeError as error:
            raise exceptions.AuthenticationFailed("The token has invalid characters.") from error
        token = api_token_authenticate(raw)
        if token is None:
            raise exceptions.AuthenticationFailed("The token is wrong, expired or revoked.")
        return token.user, token

    def authenticate_header(self, request: Any) -> str:
        return f'{self.keyword} realm="api"'
