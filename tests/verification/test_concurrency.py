"""Two reviewers change the status of one claim at the same moment, in real transactions."""

from __future__ import annotations

import threading

import pytest
from django.db import connections, transaction

from claims.models import Claim, ClaimStatus
from core.errors import StaleVersionError, TransitionNotAllowedError
from tests import factories as f
from tests.races import race
from verification.models import StatusChange


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_version", [True, False])
def test_racing_transitions_one_wins_the_other_gets_a_clear_error(with_version):
    claim = f.claim()
    first_actor, second_actor = f.reviewer(), f.reviewer()
    seen = claim.version
    first_locked, release_first = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                f.transition(
                    claim=claim,
                    status=ClaimStatus.IN_REVIEW,
                    actor=first_actor,
                    version=seen if with_version else None,
                )
                first_locked.set()
                release_first.wait(timeout=30)
            outcome["first"] = "ok"
        finally:
            connections.close_all()

    def second() -> None:
        try:
            f.transition(
                claim=claim,
                status=ClaimStatus.IN_REVIEW,
                actor=second_actor,
                version=seen if with_version else None,
            )
            outcome["second"] = "ok"
        except (StaleVersionError, TransitionNotAllowedError) as error:
            outcome["second"] = error
        finally:
            connections.close_all()

    race(first, second, first_holds=first_locked, release_first=release_first)

    assert outcome["first"] == "ok"
    error = outcome["second"]
    expected = StaleVersionError if with_version else TransitionNotAllowedError
    assert isinstance(error, expected)
    assert error.message  # a sentence for the user, not a database error

    claim = Claim.objects.get(pk=claim.pk)
    assert claim.status == ClaimStatus.IN_REVIEW
    assert claim.version == seen + 1
    history = list(StatusChange.objects.filter(claim=claim))
    assert [(c.from_status, c.to_status, c.actor) for c in history] == [
        ("unverified", "in_review", first_actor)
    ]
