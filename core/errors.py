"""Errors a user can cause in the services. Each message says what was wrong and what to do.

Field-level input errors are Django's ``ValidationError`` and missing permissions Django's
``PermissionDenied``; the admin and the API turn all of them into form errors or 4xx responses.
"""

from __future__ import annotations

from collections.abc import Sequence


class DomainError(Exception):
    """A request the domain refuses, with a message fit to show to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# A save refused because the object changed since it was read: the admin's forms and the
# API's 412 say it in these words.
STALE_MESSAGE = (
    "This was changed by someone else since you opened it; reload it to see the changes, "
    "then make yours again. Nothing was saved."
)


class StaleVersionError(DomainError):
    """The object changed since the editor loaded it; saving would overwrite that change."""

    def __init__(self, *, current_version: int, seen_version: int) -> None:
        super().__init__(STALE_MESSAGE)
        self.current_version = current_version
        self.seen_version = seen_version


class TransitionNotAllowedError(DomainError):
    """The workflow does not allow moving from the current status to the target."""

    def __init__(self, *, from_status: str, to_status: str, allowed: Sequence[str]) -> None:
        allowed_text = ", ".join(allowed) or "none"
        super().__init__(
            f"A claim cannot move from {from_status} to {to_status}. "
            f"Allowed from {from_status}: {allowed_text}."
        )
        self.from_status = from_status
        self.to_status = to_status
        self.allowed = list(allowed)


class PublicationError(DomainError):
    """A publication the claim's state does not allow (no verdict, nothing to unpublish)."""


class ProposalError(DomainError):
    """A second-approval step the claim's proposals do not allow (none pending, one pending)."""


class ClaimMergedError(DomainError):
    """A change to a claim merged into another: it is a read-only pointer to that one."""

    def __init__(self, *, canonical_id: object) -> None:
        super().__init__(
            f"This claim was merged into claim {canonical_id} and is read-only: make the change "
            "there."
        )
        self.canonical_id = canonical_id


class MergeError(DomainError):
    """A merge the two claims' states do not allow (two verdicts, a published duplicate...)."""
