"""ETags from the ``version`` every claim and source carries; If-Match and If-None-Match."""

from __future__ import annotations

import re

from rest_framework import serializers
from rest_framework.request import Request

from api.problems import PreconditionRequired

_PUBLIC = "-public"
_ETAG = re.compile(rf'^"v(\d{{1,9}})(?:{_PUBLIC})?"$')
IF_MATCH_PATTERN = _ETAG.pattern  # the schema's pattern for If-Match
IF_MATCH_FORM_MESSAGE = 'If-Match must be one ETag this API gave you, quotes included, like "v3".'


def etag(request: Request, version: int) -> str:
    """A strong ETag: the representation changes exactly when the version does. An anonymous
    reader's (a published fact check, without the deliberation behind it) has its own, so a
    copy kept while signed out is never confirmed as fresh to a signed-in reader."""
    return f'"v{version}{"" if request.user.is_authenticated else _PUBLIC}"'


def version_from_if_match(request: Request) -> int:
    """The version the client saw, from If-Match: 428 without it, 400 if it is not an ETag's form.

    A well-formed ETag of another version is for the service to refuse (412, with the current
    ETag): only it knows the current version under its lock.
    """
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise PreconditionRequired()
    match = _ETAG.match(header)
    if match is None:
        raise serializers.ValidationError({"If-Match": [IF_MATCH_FORM_MESSAGE]})
    return int(match.group(1))


def not_modified(request: Request, version: int) -> bool:
    """Whether If-None-Match names the current version's ETag (the client's copy is fresh)."""
    header = request.headers.get("If-None-Match", "")
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag(request, version) in tags or "*" in tags
