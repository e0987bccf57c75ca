"""Publishing and unpublishing through the API: the workflow step, its errors and its history."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from notifications.models import Delivery, Event, EventType
from notifications.services import webhook_endpoint_create
from publishing.models import Publication, PublicationChange, RatingLabel
from publishing.services import publications_announce
from tests import factories as f
from verification.services import evidence_withdraw

pytestmark = pytest.mark.django_db


def _claim_with_verdict(status: str = "false", text: str = "Russia has pulled back its troops."):
    claim = f.claim(text=text)
    f.verdict(claim=claim, status=status, reason="Satellite images show the troops in place.")
    claim.refresh_from_db()
    return claim


def test_publish_now_over_http(api, settings):
    reviewer = f.reviewer(username="rita")
    client = api(reviewer)
    claim = _claim_with_verdict()
    endpoint, _ = webhook_endpoint_create(
        actor=reviewer, url="http://127.0.0.1:9/hook", event_types=["claim.published"]
    )

    before = client.get(f"/api/v1/claims/{claim.pk}/").json()
    assert before["publication"]["state"] == "draft"
    assert before["public_url"] is None
    assert before["review_rating"]["alternate_name"] == "False"  # the active scale's label

    response = client.post(before["links"]["publish"], {}, HTTP_IF_MATCH=f'"v{claim.version}"')
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["publication"]["state"] == "published"
    assert body["publication"]["verdict"] == "false"
    path = f"/fact-checks/{claim.pk}/russia-has-pulled-back-its-troops/"
    assert body["public_url"] == settings.SITE_URL + path
    assert response["ETag"] == f'"v{claim.version + 1}"'
    assert api().get(urlsplit(body["public_url"]).path).status_code == 200

    history = list(PublicationChange.objects.filter(claim=claim))
    assert [(row.action, row.actor, row.channel, row.to_label) for row in history] == [
        ("published", reviewer, "api", "False")
    ]
    event = Event.objects.get(type=EventType.CLAIM_PUBLISHED)
    assert event.payload["data"]["public_url"] == body["public_url"]
    assert event.payload["data"]["rating"]["label"] == "False"
    assert Delivery.objects.filter(event=event, endpoint=endpoint).count() == 1


@pytest.mark.parametrize(
    ("status", "message"),
    [("unverified", "this one is unverified"), ("in_review", "this one is in review")],
)
def test_publish_without_a_verdict_is_a_conflict(api, status, message):
    claim = f.claim()
    if status == "in_review":
        f.transition(claim=claim, status="in_review")
        claim.refresh_from_db()
    response = api(f.reviewer()).post(
        f"/api/v1/claims/{claim.pk}/publish/", {}, HTTP_IF_MATCH=f'"v{claim.version}"'
    )
    assert response.status_code == 409
    assert message in response.json()["detail"]
    assert "Only a claim with a verdict" in response.json()["detail"]
    assert not Publication.objects.exists()


def test_publish_refusals(api):
    claim = _claim_with_verdict()
    url = f"/api/v1/claims/{claim.pk}/publish/"
    current = f'"v{claim.version}"'

    as_editor = api(f.editor())
    denied = as_editor.post(url, {}, HTTP_IF_MATCH=current)
    assert denied.status_code == 403

    as_reviewer = api(f.reviewer())
    assert as_reviewer.post(url, {}).status_code == 428
    stale = as_reviewer.post(url, {}, HTTP_IF_MATCH=f'"v{claim.version - 1}"')
    assert stale.status_code == 412

    past = as_reviewer.post(url, {"publish_at": "2020-01-01T00:00:00Z"}, HTTP_IF_MATCH=current)
    assert past.status_code == 400
    assert "is in the past" in past.json()["errors"]["publish_at"][0]

    garbled = as_reviewer.post(url, {"publish_at": "next tuesday"}, HTTP_IF_MATCH=current)
    assert garbled.status_code == 400
    assert "publish_at" in garbled.json()["errors"]

    unknown = as_reviewer.post(url, {"publish_now": True}, HTTP_IF_MATCH=current)
    assert unknown.status_code == 400
    assert not Publication.objects.exists()


def test_unpublish_needs_a_reason_and_a_publication(api):
    claim = _claim_with_verdict()
    client = api(f.reviewer())
    url = f"/api/v1/claims/{claim.pk}/unpublish/"

    nothing = client.post(url, {"reason": "Wrong claim."}, HTTP_IF_MATCH=f'"v{claim.version}"')
    assert nothing.status_code == 409
    assert "not published" in nothing.json()["detail"]

    f.published(claim=claim)
    claim.refresh_from_db()
    missing = client.post(url, {}, HTTP_IF_MATCH=f'"v{claim.version}"')
    assert missing.status_code == 400
    assert "reason" in missing.json()["errors"]
    blank = client.post(url, {"reason": "  \n "}, HTTP_IF_MATCH=f'"v{claim.version}"')
    assert blank.status_code == 400

    done = client.post(
        url, {"reason": "The claimant withdrew it."}, HTTP_IF_MATCH=f'"v{claim.version}"'
    )
    assert done.status_code == 200, done.json()
    assert done.json()["publication"]["state"] == "unpublished"
    assert done.json()["public_url"] is None
    assert list(PublicationChange.objects.filter(claim=claim).values_list("action", "reason"))[
        -1
    ] == ("unpublished", "The claimant withdrew it.")
    assert Event.objects.filter(type=EventType.CLAIM_UNPUBLISHED).count() == 1


def test_scheduled_publication_is_announced_once_at_its_time(api):
    claim = _claim_with_verdict()
    reviewer = f.reviewer()
    at = timezone.now() + timedelta(hours=2)
    response = api(reviewer).post(
        f"/api/v1/claims/{claim.pk}/publish/",
        {"publish_at": at.isoformat()},
        HTTP_IF_MATCH=f'"v{claim.version}"',
    )
    assert response.status_code == 200, response.json()
    assert response.json()["publication"]["state"] == "scheduled"
    assert response.json()["public_url"] is None
    assert not Event.objects.filter(type=EventType.CLAIM_PUBLISHED).exists()
    assert publications_announce() == 0  # not yet

    # Two hours pass.
    Publication.objects.filter(claim=claim).update(publish_at=timezone.now() - timedelta(seconds=1))
    assert publications_announce() == 1
    assert publications_announce() == 0  # never twice
    assert Event.objects.filter(type=EventType.CLAIM_PUBLISHED).count() == 1
    after = api(reviewer).get(f"/api/v1/claims/{claim.pk}/").json()
    assert after["publication"]["state"] == "published"
    assert after["public_url"]
    assert after["version"] == claim.version + 2  # published, then announced


def test_republishing_a_public_fact_check_with_another_verdict_is_a_correction(api):
    reviewer = f.reviewer()
    claim = _claim_with_verdict("false")
    f.published(claim=claim, actor=reviewer)
    claim.refresh_from_db()
    client = api(reviewer)

    same = client.post(
        f"/api/v1/claims/{claim.pk}/publish/", {}, HTTP_IF_MATCH=f'"v{claim.version}"'
    )
    assert same.status_code == 409
    assert "nothing to correct" in same.json()["detail"]

    f.transition(claim=claim, status="in_review", actor=reviewer, reason="New footage.")
    claim.refresh_from_db()
    assert client.get(f"/api/v1/claims/{claim.pk}/").json()["public_url"]  # still public
    f.verdict(claim=claim, status="misleading", actor=reviewer, reason="Some units left.")
    claim.refresh_from_db()
    scheduled = client.post(
        f"/api/v1/claims/{claim.pk}/publish/",
        {"publish_at": (timezone.now() + timedelta(days=1)).isoformat()},
        HTTP_IF_MATCH=f'"v{claim.version}"',
    )
    assert scheduled.status_code == 400  # a public fact check is corrected at once
    corrected = client.post(
        f"/api/v1/claims/{claim.pk}/publish/",
        {"reason": "Part of the units left after the drills."},
        HTTP_IF_MATCH=f'"v{claim.version}"',
    )
    assert corrected.status_code == 200, corrected.json()
    assert corrected.json()["review_rating"]["alternate_name"] == "Misleading"
    correction = PublicationChange.objects.get(claim=claim, action="corrected")
    assert (correction.from_label, correction.to_label, correction.reason) == (
        "False",
        "Misleading",
        "Part of the units left after the drills.",
    )
    publication = Publication.objects.get(claim=claim)
    assert publication.corrected_at == correction.at
    events = Event.objects.filter(type=EventType.CLAIM_PUBLISHED).order_by("occurred_at")
    assert [event.payload["data"]["correction"] is not None for event in events] == [False, True]


def test_editing_the_scale_never_rewrites_a_published_fact_check(api):
    reviewer = f.reviewer()
    claim = _claim_with_verdict("false")
    f.published(claim=claim, actor=reviewer)
    RatingLabel.objects.filter(verdict="false").update(label="Fake", value=1)
    claim.refresh_from_db()

    shown = api(reviewer).get(f"/api/v1/claims/{claim.pk}/").json()
    assert shown["review_rating"]["alternate_name"] == "False"  # as published
    assert Publication.objects.get(claim=claim).rating_label == "False"

    again = api(reviewer).post(
        f"/api/v1/claims/{claim.pk}/publish/",
        {"reason": "Our rating scale renamed “False”."},
        HTTP_IF_MATCH=f'"v{claim.version}"',
    )
    assert again.status_code == 200, again.json()
    assert again.json()["review_rating"]["alternate_name"] == "Fake"
    assert PublicationChange.objects.get(claim=claim, action="corrected").to_label == "Fake"


def test_anonymous_api_reads_only_public_fact_checks(api, settings):
    settings.API_PUBLIC_VERDICTS = True
    public = _claim_with_verdict("false", "Troops went back to their bases.")
    f.published(claim=public)
    embargoed = _claim_with_verdict("false", "Troops were never there.")
    f.published(claim=embargoed, publish_at=timezone.now() + timedelta(hours=1))
    unpublished = _claim_with_verdict("verified", "Troops were seen at the border.")
    f.published(claim=unpublished)
    from publishing.services import claim_unpublish
    from verification.models import Channel

    claim_unpublish(actor=f.reviewer(), claim=unpublished, reason="Retracted.", channel=Channel.API)
    draft = _claim_with_verdict("unproven", "Troops are on the move.")

    anonymous = api()
    listed = anonymous.get("/api/v1/claims/").json()["results"]
    assert [row["id"] for row in listed] == [str(public.pk)]
    assert anonymous.get(f"/api/v1/claims/{public.pk}/").status_code == 200
    for hidden in (embargoed, unpublished, draft):
        assert anonymous.get(f"/api/v1/claims/{hidden.pk}/").status_code == 404
    found = anonymous.get("/api/v1/claims/", {"q": "troops"}).json()
    assert [row["id"] for row in found["results"]] == [str(public.pk)]
    assert found["count"] == 1


def test_evidence_is_made_public_with_a_boolean(api):
    claim = _claim_with_verdict()
    evidence = claim.evidence.get()
    client = api(f.editor())
    url = f"/api/v1/claims/{claim.pk}/evidence/{evidence.pk}/public/"
    for wrong in ("yes", 1, "true"):
        refused = client.post(url, {"public": wrong}, format="json")
        assert refused.status_code == 400, wrong
        assert refused.json()["errors"]["public"] == ["Must be a valid boolean."]
    assert client.post(url, {"public": None}, format="json").status_code == 400
    made = client.post(url, {"public": True}, format="json")
    assert made.status_code == 200
    assert made.json()["public"] is True
    evidence.refresh_from_db()
    assert evidence.public is True
    added = client.post(
        f"/api/v1/claims/{claim.pk}/evidence/",
        {"kind": "image", "stance": "refutes", "file": f.png_upload(), "public": "true"},
        format="multipart",
    )
    assert added.status_code == 201, added.json()
    assert added.json()["public"] is True

    evidence_withdraw(actor=f.editor(), evidence=evidence, reason="Wrong photo.")
    assert client.post(url, {"public": False}, format="json").status_code == 200
    again = client.post(url, {"public": True}, format="json")
    assert again.status_code == 400
    assert again.json()["errors"]["public"] == ["Withdrawn evidence cannot be made public."]


def test_a_correction_while_the_embargo_passed_unannounced_is_still_a_correction(api):
    """Public from publish_at on, before beat announces it: re-publishing then corrects."""
    reviewer = f.reviewer()
    claim = _claim_with_verdict("false")
    f.published(claim=claim, actor=reviewer, publish_at=timezone.now() + timedelta(hours=1))
    Publication.objects.filter(claim=claim).update(publish_at=timezone.now() - timedelta(seconds=1))
    first_public = Publication.objects.get(claim=claim).publish_at
    f.transition(claim=claim, status="in_review", actor=reviewer, reason="New footage.")
    claim.refresh_from_db()
    f.verdict(claim=claim, status="misleading", actor=reviewer, reason="Some units left.")
    claim.refresh_from_db()
    f.published(claim=claim, actor=reviewer, reason="Footage of a train.")

    correction = PublicationChange.objects.get(claim=claim, action="corrected")
    assert (correction.from_label, correction.to_label) == ("False", "Misleading")
    publication = Publication.objects.get(claim=claim)
    assert publication.first_published_at == first_public  # datePublished kept
    assert publication.corrected_at == correction.at


def test_a_reason_is_bounded_as_sent(api):
    """10,001 characters ending in a space are refused, as the schema's maxLength says, in
    the admin's words."""
    claim = _claim_with_verdict()
    f.published(claim=claim)
    claim.refresh_from_db()
    refused = api(f.reviewer()).post(
        f"/api/v1/claims/{claim.pk}/unpublish/",
        {"reason": "r" * 10_000 + " "},
        HTTP_IF_MATCH=f'"v{claim.version}"',
    )
    assert refused.status_code == 400
    assert refused.json()["errors"]["reason"] == [
        "Ensure this value has at most 10000 characters (it has 10001)."
    ]
    assert Publication.objects.get(claim=claim).unpublished_at is None
