"""Writes to claims and sources: validation, permissions, versions and stale edits."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, transaction

from claims import services
from claims.models import SOURCE_EXISTS_MESSAGE, Claim, ClaimStatus, Source, StatementStance
from core.errors import StaleVersionError
from tests import factories as f
from tests.races import race

pytestmark = pytest.mark.django_db


def test_claim_create_sets_defaults_creator_and_tags():
    editor = f.editor()
    peskov = f.source(name="Dmitry Peskov", role="Kremlin spokesperson")
    claim = services.claim_create(
        actor=editor,
        text="Russia has ordered troops near Ukraine's border back to their bases.",
        claimant=peskov,
        tags=["Russia", "troops", "russia", " "],
    )
    assert claim.status == ClaimStatus.UNVERIFIED
    assert claim.version == 1
    assert claim.created_by == editor
    assert claim.claimant == peskov
    assert sorted(claim.tags.values_list("name", flat=True)) == ["russia", "troops"]


@pytest.mark.parametrize("text", ["", "   "])
def test_claim_needs_text(text):
    with pytest.raises(ValidationError) as error:
        services.claim_create(actor=f.editor(), text=text)
    assert "text" in error.value.message_dict
    assert not Claim.objects.exists()


def test_too_long_tag_is_a_clear_error():
    with pytest.raises(ValidationError, match="longer than 50"):
        services.claim_create(actor=f.editor(), text="A claim.", tags=["x" * 51])


def test_viewer_cannot_create_or_edit():
    viewer = f.viewer()
    with pytest.raises(PermissionDenied):
        services.claim_create(actor=viewer, text="A claim.")
    claim = f.claim()
    with pytest.raises(PermissionDenied):
        services.claim_update(actor=viewer, claim=claim, version=1, data={"text": "Changed."})


def test_claim_update_bumps_version_only_when_something_changed():
    editor = f.editor()
    claim = f.claim(actor=editor, text="Original.")
    same = services.claim_update(actor=editor, claim=claim, version=1, data={"text": "Original."})
    assert same.version == 1
    changed = services.claim_update(
        actor=editor, claim=claim, version=1, data={"text": "Edited.", "tags": ["nato"]}
    )
    assert changed.version == 2
    assert changed.text == "Edited."


def test_stale_claim_update_is_refused_and_nothing_is_overwritten():
    alice, bob = f.editor(), f.editor()
    claim = f.claim(actor=alice, text="Original.")
    services.claim_update(actor=alice, claim=claim, version=1, data={"summary": "Alice's."})

    with pytest.raises(StaleVersionError) as error:
        services.claim_update(actor=bob, claim=claim, version=1, data={"summary": "Bob's."})

    assert error.value.current_version == 2
    claim.refresh_from_db()
    assert claim.summary == "Alice's."


def test_status_cannot_be_set_by_update():
    claim = f.claim()
    with pytest.raises(ValidationError) as error:
        services.claim_update(
            actor=f.editor(), claim=claim, version=1, data={"status": ClaimStatus.VERIFIED}
        )
    assert error.value.message_dict == {"status": ["This field cannot be changed here."]}
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.UNVERIFIED


def test_source_update_with_stale_version_is_refused():
    editor = f.editor()
    source = f.source(name="Jens Stoltenberg", role="NATO Secretary General")
    services.source_update(actor=editor, source=source, version=1, data={"country": "Norway"})
    with pytest.raises(StaleVersionError):
        services.source_update(actor=editor, source=source, version=1, data={"country": "NATO"})
    source.refresh_from_db()
    assert (source.country, source.version) == ("Norway", 2)


def test_duplicate_source_is_a_validation_error():
    f.source(name="Dmytro Kuleba", role="Foreign minister of Ukraine")
    with pytest.raises(ValidationError):
        f.source(name="dmytro kuleba", role="Foreign minister of Ukraine")
    assert Source.objects.count() == 1


def test_statements_and_appearances_bump_the_claim_version():
    editor = f.editor()
    claim = f.claim(actor=editor)
    kuleba = f.source(name="Dmytro Kuleba")
    statement = services.statement_add(
        actor=editor,
        claim=claim,
        source=kuleba,
        quote="We won\u2019t believe when we hear, we\u2019ll believe when we see.",
        stance=StatementStance.COUNTERS,
    )
    appearance = services.appearance_add(
        actor=editor, claim=claim, url="https://example.org/news/troops", outlet="Example"
    )
    services.statement_update(actor=editor, statement=statement, data={"stance": "context"})
    services.appearance_remove(actor=editor, appearance=appearance)
    claim.refresh_from_db()
    assert claim.version == 5
    assert claim.statements.get().stance == "context"
    assert not claim.appearances.exists()


def test_invalid_stance_is_a_validation_error():
    with pytest.raises(ValidationError) as error:
        f.statement(claim=f.claim(), stance="agrees")
    assert "stance" in error.value.message_dict


def test_assign():
    editor, reviewer = f.editor(), f.reviewer()
    claim = f.claim(actor=editor)
    assigned = services.claim_assign(actor=editor, claim=claim, assignee=reviewer)
    assert (assigned.assignee, assigned.version) == (reviewer, 2)
    again = services.claim_assign(actor=editor, claim=claim, assignee=reviewer)
    assert again.version == 2


def test_only_active_staff_users_are_assigned_claims():
    editor = f.editor()
    claim = f.claim(actor=editor)
    outsider = f.UserFactory(username="outsider", is_staff=False)
    gone = f.reviewer(username="gone", is_active=False)
    for user in (outsider, gone):
        with pytest.raises(ValidationError) as error:
            services.claim_assign(actor=editor, claim=claim, assignee=user)
        assert (
            f"{user.username} cannot be assigned claims" in error.value.message_dict["assignee"][0]
        )
        with pytest.raises(ValidationError):
            services.claim_update(actor=editor, claim=claim, version=1, data={"assignee": user})
        with pytest.raises(ValidationError):
            services.claim_create(actor=editor, text="Troops are leaving.", assignee=user)
    claim.refresh_from_db()
    assert (claim.assignee, claim.version) == (None, 1)


def test_a_claim_keeps_an_assignee_who_has_left_until_it_is_reassigned():
    editor, reviewer = f.editor(), f.reviewer()
    claim = f.claim(actor=editor)
    services.claim_assign(actor=editor, claim=claim, assignee=reviewer)
    reviewer.is_active = False
    reviewer.save()
    edited = services.claim_update(actor=editor, claim=claim, version=2, data={"summary": "New."})
    assert (edited.assignee, edited.version) == (reviewer, 3)


def test_renaming_a_source_changes_the_version_of_its_claims():
    editor = f.editor()
    peskov = f.source(name="Dmitry Peskov", role="Kremlin spokesperson")
    claim = f.claim(actor=editor, claimant=peskov)
    other = f.claim(actor=editor)
    services.source_update(
        actor=editor, source=peskov, version=1, data={"role": "Press secretary of the President"}
    )
    claim.refresh_from_db()
    other.refresh_from_db()
    assert (claim.version, other.version) == (2, 1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("second_write", ["create", "rename"])
def test_the_same_source_written_twice_at_once_the_second_is_a_validation_error(second_write):
    """The uniqueness check cannot see a source another transaction has not committed yet;
    the database's constraint then refuses the second, with the check's own message."""
    editor = f.editor()
    other = f.source(name="Dmytro Kuleba", role="")
    role = "Foreign minister of Ukraine"
    first_written, release_first = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                services.source_create(actor=editor, name="Dmytro Kuleba", role=role)
                first_written.set()
                release_first.wait(timeout=30)
        finally:
            connections.close_all()

    def second() -> None:
        try:
            if second_write == "create":
                services.source_create(actor=editor, name="dmytro kuleba", role=role)
            else:
                services.source_update(actor=editor, source=other, version=1, data={"role": role})
            outcome["second"] = "saved"
        except Exception as error:  # what it raised is what is checked
            outcome["second"] = error
        finally:
            connections.close_all()

    race(first, second, first_holds=first_written, release_first=release_first)

    error = outcome["second"]
    assert isinstance(error, ValidationError), repr(error)
    assert error.message_dict == {"name": [SOURCE_EXISTS_MESSAGE], "role": [SOURCE_EXISTS_MESSAGE]}
    assert sorted(Source.objects.values_list("role", "version")) == [("", 1), (role, 1)]
