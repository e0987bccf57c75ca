"""ETags from the ``version`` every claim and source carries; If-Match and If-None-Match."""

from __future__ import annotations

import re

from rest_framework.request import Request

from api.problems import PreconditionFailed, PreconditionRequired

_ETAG = re.compile(r'^"v(\d{1,9})"$')


def etag(version: int) -> str:
    """A strong ETag: the representation changes exactly when the version does."""
    return f'"v{version}"'


def version_from_if_match(request: Request, current: int) -> int:
    """The version the client saw, from If-Match; 428 without it, 412 if it is not ours.

    The 412 carries the ETag of the ``current`` version, as the one for a stale version does.
    """
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise PreconditionRequired()
    match = _ETAG.match(header)
    if match is None:
        raise PreconditionFailed(
            f'If-Match must be one ETag this API gave you, like "v3"; got {header[:40]!r}.',
            current_etag=etag(current),
        )
    return int(match.group(1))


def not_modified(request: Request, version: int) -> bool:
    """Whether If-None-Match names the current version's ETag (the client's copy is fresh)."""
    header = request.headers.get("If-None-Match", "")
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag(version) in tags or "*" in tags
