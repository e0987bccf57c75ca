"""The claim page: inlines, histories, saving through the services, stale forms, evidence."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from claims import services as claim_services
from claims.models import Appearance, Claim, Source, Statement
from tests import factories
from tests.admin.browser import form_data, messages_of
from verification.models import Evidence

pytestmark = pytest.mark.django_db


def change_url(claim: Claim) -> str:
    return reverse("admin:claims_claim_change", args=[claim.pk])


def refreshed(claim: Claim) -> Claim:
    return Claim.objects.get(pk=claim.pk)


@pytest.fixture
def documented_claim() -> Claim:
    """A claim with a tag, an appearance, a supporting and a counter-statement, evidence."""
    editor = factories.editor()
    peskov = factories.source(name="Dmitry Peskov", role="Kremlin spokesperson", actor=editor)
    kuleba = factories.source(name="Dmytro Kuleba", role="Foreign minister", actor=editor)
    claim = factories.claim(
        text="Troops near the border are returning to their bases.",
        claimant=peskov,
        tags=["ukraine", "troops"],
        actor=editor,
    )
    claim_services.appearance_add(
        actor=editor, claim=claim, url="https://interfax.example/1", outlet="Interfax"
    )
    factories.statement(
        claim=claim,
        source=peskov,
        stance="supports",
        quote="Units are going back as planned.",
        actor=editor,
    )
    factories.statement(
        claim=claim,
        source=kuleba,
        stance="counters",
        quote="We will believe when we see.",
        actor=editor,
    )
    factories.evidence(
        claim=claim, file=factories.png_upload("satellite.png"), actor=editor, description="Sat"
    )
    return refreshed(claim)


def test_claim_page_shows_inlines_and_both_histories(
    reviewer_client: Client, documented_claim: Claim
) -> None:
    evidence = Evidence.objects.get(claim=documented_claim)
    factories.transition(claim=documented_claim, status="in_review", reason="Checking it.")

    response = reviewer_client.get(change_url(documented_claim))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Troops near the border are returning to their bases." in page
    assert "https://interfax.example/1" in page
    assert "Units are going back as planned." in page
    assert "We will believe when we see." in page
    assert "Counter-statement" in page  # the counter-statement's label
    # Evidence on record: read-only, with its digest, size, type and a download link.
    assert evidence.sha256 in page
    assert "image/png" in page
    assert reverse("evidence-download", args=[evidence.pk]) in page
    assert "Withdraw with reason" in page
    # Status history.
    assert 'id="status-history"' in page
    assert "Checking it." in page
    # Edit history: the claim's creation, its tags and parts.
    assert 'id="edit-history"' in page
    assert "Claim created" in page
    assert "Statement added" in page
    assert "Tag added" in page
    history = " ".join(page.split('id="edit-history"')[1].split())
    assert "<strong>tag</strong>: troops" in history
    assert "<strong>tag</strong>: ukraine" in history
    assert "<strong>source</strong>: Dmytro Kuleba (Foreign minister)" in history
    assert "Evidence added" in page
    # The status is read-only: no status field on the form.
    assert 'name="status"' not in page


def test_creating_a_claim_with_tags_and_assignee(editor_client: Client, editor_user) -> None:
    claimant = factories.source(name="Interfax", kind="news_outlet")
    add_url = reverse("admin:claims_claim_add")
    data = form_data(editor_client.get(add_url), "claim_form")
    data.update(
        {
            "text": "Exercises in Crimea are over.",
            "claimant": str(claimant.pk),
            "tags_text": "Crimea, exercises , crimea",
            "assignee": str(editor_user.pk),
        }
    )

    response = editor_client.post(add_url, data, follow=True)

    assert response.status_code == 200
    claim = Claim.objects.get(text="Exercises in Crimea are over.")
    assert claim.claimant == claimant
    assert claim.assignee == editor_user
    assert claim.created_by == editor_user
    assert sorted(claim.tags.values_list("name", flat=True)) == ["crimea", "exercises"]
    assert any("was added successfully" in message for message in messages_of(response))


def test_the_admin_holds_a_claim_to_the_apis_rules(editor_client: Client) -> None:
    add_url = reverse("admin:claims_claim_add")
    data = form_data(editor_client.get(add_url), "claim_form")

    too_long = editor_client.post(add_url, {**data, "text": "x" * 10_001})
    bad_language = editor_client.post(
        add_url, {**data, "text": "A claim.", "language": "zz-ZZZZZZZZZ"}
    )

    assert "at most 10000 characters" in too_long.content.decode()
    assert "Give an ISO 639 code" in bad_language.content.decode()
    assert not Claim.objects.exists()


def test_creating_a_claim_with_a_statement_and_evidence_at_once(editor_client: Client) -> None:
    kuleba = factories.source(name="Dmytro Kuleba")
    add_url = reverse("admin:claims_claim_add")
    page = editor_client.get(add_url)
    assert "Evidence on record" not in page.content.decode()
    data = form_data(page, "claim_form")
    assert "evidence-TOTAL_FORMS" not in data  # only the rows to add evidence
    data.update(
        {
            "text": "Units are returning to their bases.",
            "statements-TOTAL_FORMS": "1",
            "statements-0-source": str(kuleba.pk),
            "statements-0-quote": "We will believe when we see.",
            "statements-0-stance": "counters",
            "new_evidence-0-kind": "web_page",
            "new_evidence-0-stance": "refutes",
            "new_evidence-0-url": "https://nato.example/briefing",
        }
    )

    response = editor_client.post(add_url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    claim = Claim.objects.get(text="Units are returning to their bases.")
    assert claim.statements.get().source == kuleba
    assert claim.evidence.get().url == "https://nato.example/briefing"


def test_editing_a_claim_and_adding_statement_and_appearance(
    editor_client: Client, documented_claim: Claim
) -> None:
    kuleba = Source.objects.get(name="Dmytro Kuleba")
    page = editor_client.get(change_url(documented_claim))
    data = form_data(page, "claim_form")
    data["summary"] = "Said on 15 February 2022."
    data["tags_text"] = "ukraine, russia"
    data.update(
        {
            "statements-TOTAL_FORMS": str(int(data["statements-TOTAL_FORMS"]) + 1),
            "statements-2-source": str(kuleba.pk),
            "statements-2-quote": "We'll believe when we see.",
            "statements-2-stance": "counters",
            "appearances-TOTAL_FORMS": str(int(data["appearances-TOTAL_FORMS"]) + 1),
            "appearances-1-url": "https://reuters.example/2",
            "appearances-1-outlet": "Reuters",
        }
    )
    # Change the first appearance's outlet too.
    data["appearances-0-outlet"] = "Interfax news agency"

    response = editor_client.post(change_url(documented_claim), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    claim = refreshed(documented_claim)
    assert claim.summary == "Said on 15 February 2022."
    assert sorted(claim.tags.values_list("name", flat=True)) == ["russia", "ukraine"]
    assert claim.statements.filter(stance="counters").count() == 2
    assert set(claim.appearances.values_list("outlet", flat=True)) == {
        "Interfax news agency",
        "Reuters",
    }
    assert claim.version > documented_claim.version


def test_removing_a_statement_through_the_inline(
    editor_client: Client, documented_claim: Claim
) -> None:
    data = form_data(editor_client.get(change_url(documented_claim)), "claim_form")
    supporting = Statement.objects.get(claim=documented_claim, stance="supports")
    index = next(
        key.split("-")[1]
        for key, value in data.items()
        if key.endswith("-id") and key.startswith("statements-") and value == str(supporting.pk)
    )
    data[f"statements-{index}-DELETE"] = "on"

    response = editor_client.post(change_url(documented_claim), data)

    assert response.status_code == 302
    assert not Statement.objects.filter(pk=supporting.pk).exists()
    assert Statement.objects.filter(claim=documented_claim).count() == 1


def test_stale_claim_form_is_refused_and_nothing_is_overwritten(
    editor_client: Client, documented_claim: Claim
) -> None:
    data = form_data(editor_client.get(change_url(documented_claim)), "claim_form")
    # Meanwhile someone else changes the claim.
    claim_services.claim_update(
        actor=factories.editor(),
        claim=documented_claim,
        version=documented_claim.version,
        data={"summary": "Their summary."},
    )
    data["summary"] = "My summary."
    data["statements-TOTAL_FORMS"] = str(int(data["statements-TOTAL_FORMS"]) + 1)
    data["statements-2-source"] = str(Source.objects.get(name="Dmytro Kuleba").pk)
    data["statements-2-quote"] = "A new statement that must not be saved."
    data["statements-2-stance"] = "context"

    response = editor_client.post(change_url(documented_claim), data)

    assert response.status_code == 200
    assert "changed by someone else since you opened it" in response.content.decode()
    claim = refreshed(documented_claim)
    assert claim.summary == "Their summary."
    assert not Statement.objects.filter(quote="A new statement that must not be saved.").exists()


def test_service_refusal_is_a_form_error_and_saves_nothing(
    editor_client: Client, documented_claim: Claim
) -> None:
    """The form accepts a tag the service refuses: the refusal shows on the form."""
    data = form_data(editor_client.get(change_url(documented_claim)), "claim_form")
    data["summary"] = "Should not stay."
    data["tags_text"] = "ukraine, " + "x" * 60
    data["appearances-TOTAL_FORMS"] = str(int(data["appearances-TOTAL_FORMS"]) + 1)
    data["appearances-1-url"] = "https://reuters.example/not-saved"

    response = editor_client.post(change_url(documented_claim), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "is longer than 50 characters" in page
    assert "https://reuters.example/not-saved" in page  # the user's input is kept
    claim = refreshed(documented_claim)
    assert claim.summary == ""
    assert claim.version == documented_claim.version
    assert not Appearance.objects.filter(url="https://reuters.example/not-saved").exists()


def test_a_claim_whose_assignee_has_left_is_still_edited(editor_client: Client) -> None:
    editor, gone = factories.editor(), factories.reviewer(username="gone")
    claim = factories.claim(actor=editor)
    claim_services.claim_assign(actor=editor, claim=claim, assignee=gone)
    gone.is_active = False
    gone.save()
    page = editor_client.get(change_url(claim))
    data = form_data(page, "claim_form")
    assert data["assignee"] == str(gone.pk)
    data["summary"] = "Said on 15 February 2022."

    response = editor_client.post(change_url(claim), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert (refreshed(claim).summary, refreshed(claim).assignee) == (data["summary"], gone)


def test_stale_source_form_is_refused(editor_client: Client) -> None:
    source = factories.source(name="Valery Gerasimov", role="Chief of General Staff")
    url = reverse("admin:claims_source_change", args=[source.pk])
    data = form_data(editor_client.get(url), "source_form")
    claim_services.source_update(
        actor=factories.editor(), source=source, version=source.version, data={"country": "RU"}
    )
    data["notes"] = "My notes."

    response = editor_client.post(url, data)

    assert response.status_code == 200
    assert "changed by someone else since you opened it" in response.content.decode()
    source.refresh_from_db()
    assert source.country == "RU"
    assert source.notes == ""


def test_source_is_created_and_changed_through_the_admin(editor_client: Client) -> None:
    add_url = reverse("admin:claims_source_add")
    data = form_data(editor_client.get(add_url), "source_form")
    data.update({"name": "Jens Stoltenberg", "role": "NATO Secretary General", "kind": "person"})
    assert editor_client.post(add_url, data).status_code == 302
    source = Source.objects.get(name="Jens Stoltenberg")

    url = reverse("admin:claims_source_change", args=[source.pk])
    data = form_data(editor_client.get(url), "source_form")
    data["country"] = "Norway"
    assert editor_client.post(url, data).status_code == 302
    source.refresh_from_db()
    assert source.country == "Norway"
    assert source.version == 2


def test_duplicate_source_is_a_form_error(editor_client: Client) -> None:
    factories.source(name="Interfax", role="")
    add_url = reverse("admin:claims_source_add")
    data = form_data(editor_client.get(add_url), "source_form")
    data.update({"name": "interfax", "kind": "agency"})

    response = editor_client.post(add_url, data)

    assert response.status_code == 200
    assert Source.objects.filter(name__iexact="interfax").count() == 1


def add_evidence_data(client: Client, claim: Claim) -> dict:
    data = form_data(client.get(change_url(claim)), "claim_form")
    data.update({"new_evidence-0-kind": "image", "new_evidence-0-stance": "refutes"})
    return data


def test_evidence_upload_through_the_inline(editor_client: Client, documented_claim: Claim) -> None:
    data = add_evidence_data(editor_client, documented_claim)
    data["new_evidence-0-file"] = factories.png_upload("border crossing.png")
    data["new_evidence-0-description"] = "Satellite image of the crossing."

    response = editor_client.post(change_url(documented_claim), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    evidence = Evidence.objects.get(description="Satellite image of the crossing.")
    assert evidence.content_type == "image/png"
    assert evidence.size == len(factories.PNG_BYTES)
    assert len(evidence.sha256) == 64
    assert evidence.original_name == "border crossing.png"
    page = editor_client.get(change_url(documented_claim)).content.decode()
    assert evidence.sha256 in page


def test_evidence_url_through_the_inline(editor_client: Client, documented_claim: Claim) -> None:
    data = add_evidence_data(editor_client, documented_claim)
    data["new_evidence-0-kind"] = "web_page"
    data["new_evidence-0-url"] = "https://nato.example/statement"

    response = editor_client.post(change_url(documented_claim), data)

    assert response.status_code == 302
    assert Evidence.objects.filter(url="https://nato.example/statement").exists()


def test_text_file_named_png_is_rejected(editor_client: Client, documented_claim: Claim) -> None:
    data = add_evidence_data(editor_client, documented_claim)
    data["new_evidence-0-file"] = SimpleUploadedFile(
        "photo.png", b"just some text, not an image\n", content_type="image/png"
    )
    data["summary"] = "Must not be saved either."
    before = Evidence.objects.count()

    response = editor_client.post(change_url(documented_claim), data)

    assert response.status_code == 200
    assert "The file is named .png but its content is text/plain" in response.content.decode()
    assert Evidence.objects.count() == before
    assert refreshed(documented_claim).summary == ""


def test_evidence_needs_a_file_or_a_url(editor_client: Client, documented_claim: Claim) -> None:
    data = add_evidence_data(editor_client, documented_claim)
    before = Evidence.objects.count()

    response = editor_client.post(change_url(documented_claim), data)

    assert response.status_code == 200
    assert "Give either a file or a URL" in response.content.decode()
    assert Evidence.objects.count() == before


def test_withdrawing_evidence_with_a_reason(editor_client: Client, documented_claim: Claim) -> None:
    evidence = Evidence.objects.get(claim=documented_claim)
    data = form_data(editor_client.get(change_url(documented_claim)), "claim_form")
    assert data["evidence-0-id"] == str(evidence.pk)
    data["evidence-0-withdraw_reason"] = "The image is from 2014."

    response = editor_client.post(change_url(documented_claim), data)

    assert response.status_code == 302
    evidence.refresh_from_db()
    assert evidence.is_withdrawn
    assert evidence.withdrawal_reason == "The image is from 2014."
    page = editor_client.get(change_url(documented_claim)).content.decode()
    assert "Withdrawn" in page
    assert "The image is from 2014." in page


def test_evidence_of_another_claim_or_none_cannot_be_withdrawn_here(
    editor_client: Client, documented_claim: Claim
) -> None:
    elsewhere = factories.evidence(claim=factories.claim(text="Another claim."))
    data = form_data(editor_client.get(change_url(documented_claim)), "claim_form")
    data["evidence-0-withdraw_reason"] = "The image is from 2014."

    for forged in (str(elsewhere.pk), str(uuid.uuid4())):
        data["evidence-0-id"] = forged
        response = editor_client.post(change_url(documented_claim), data)

        assert response.status_code == 200  # the form again, saying what is wrong
        assert "is not one of this claim&#x27;s; reload the page." in response.content.decode()
    assert not Evidence.objects.filter(withdrawn_at__isnull=False).exists()


def test_edit_history_records_user_and_channel(
    editor_client: Client, editor_user, documented_claim: Claim
) -> None:
    data = form_data(editor_client.get(change_url(documented_claim)), "claim_form")
    data["summary"] = "A summary from the admin."
    assert editor_client.post(change_url(documented_claim), data).status_code == 302

    response = editor_client.get(change_url(documented_claim))

    history = response.content.decode().split('id="edit-history"')[1]
    assert "Claim changed" in history
    assert "A summary from the admin." in history
    assert editor_user.username in history
    assert "<td>admin</td>" in history


def test_appearance_with_the_same_url_twice_is_a_form_error(
    editor_client: Client, documented_claim: Claim
) -> None:
    data = form_data(editor_client.get(change_url(documented_claim)), "claim_form")
    data["appearances-TOTAL_FORMS"] = str(int(data["appearances-TOTAL_FORMS"]) + 1)
    data["appearances-1-url"] = "https://interfax.example/1"

    response = editor_client.post(change_url(documented_claim), data)

    assert response.status_code == 200
    assert Appearance.objects.filter(claim=documented_claim).count() == 1


def test_evidence_download_link_serves_the_file(
    viewer_client: Client, documented_claim: Claim
) -> None:
    evidence = Evidence.objects.get(claim=documented_claim)
    page = viewer_client.get(change_url(documented_claim)).content.decode()
    link = reverse("evidence-download", args=[evidence.pk])
    assert f'href="{link}"' in page

    response = viewer_client.get(link)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == factories.PNG_BYTES
    assert response["Content-Type"] == "image/png"
    assert 'attachment; filename="satellite.png"' in response["Content-Disposition"]
