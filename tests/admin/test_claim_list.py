"""The claims list: columns, filters, search, and a query count independent of the page size."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.models import Claim
from tests import factories

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:claims_claim_changelist")


def listed(response) -> list[str]:
    """The claim texts in the list's rows, in order."""
    page = response.content.decode()
    return re.findall(r'<th class="field-claim_text"><a href="[^"]+">([^<]+)</a>', page)


def test_login_then_the_admin_index(client: Client) -> None:
    factories.editor(username="edith")
    response = client.post(
        reverse("admin:login") + "?next=/admin/",
        {"username": "edith", "password": "correct horse battery staple"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"

    page = client.get("/admin/").content.decode()
    assert "Claim tracker" in page
    assert "Claims" in page


def test_wrong_password_is_refused(client: Client) -> None:
    factories.editor(username="edith")
    response = client.post(reverse("admin:login"), {"username": "edith", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.content.decode()


def test_list_shows_status_badge_people_and_counts(editor_client: Client) -> None:
    assignee = factories.reviewer(username="rita")
    peskov = factories.source(name="Dmitry Peskov")
    claim = factories.claim(text="Troops are going home.", claimant=peskov, assignee=assignee)
    factories.statement(claim=claim, stance="supports")
    factories.statement(claim=claim, stance="counters")
    factories.statement(claim=claim, stance="counters")
    factories.statement(claim=claim, stance="context")
    factories.evidence(claim=claim)
    withdrawn = factories.evidence(claim=claim)
    from verification.services import evidence_withdraw

    evidence_withdraw(actor=factories.editor(), evidence=withdrawn, reason="Wrong photo.")
    factories.transition(claim=claim, status="in_review")

    response = editor_client.get(LIST_URL)

    assert response.status_code == 200
    page = response.content.decode()
    row = page.split("Troops are going home.")[1].split("</tr>")[0]
    assert "status-in_review" in row and "In review" in row
    assert "Dmitry Peskov" in row
    assert "rita" in row
    assert '<td class="field-supporting">1</td>' in row
    assert "field-countering" in row and ">2</strong>" in row
    assert '<td class="field-evidence_count">1</td>' in row  # the withdrawn one not counted


@pytest.fixture
def varied_claims(editor_user: User) -> dict[str, Claim]:
    reviewer = factories.reviewer(username="rita")
    peskov = factories.source(name="Dmitry Peskov")
    kuleba = factories.source(name="Dmytro Kuleba")
    claims = {
        "mine": factories.claim(text="Assigned to the editor.", assignee=editor_user),
        "rita": factories.claim(
            text="Assigned to Rita.", assignee=reviewer, claimant=peskov, tags=["ukraine"]
        ),
        "verified": factories.claim(text="Already verified.", tags=["nato"]),
        "reviewing": factories.claim(text="Being reviewed.", claimant=kuleba),
    }
    factories.transition(claim=claims["reviewing"], status="in_review")
    verified = claims["verified"]
    factories.transition(claim=verified, status="in_review")
    evidence = factories.evidence(claim=verified)
    factories.transition(claim=verified, status="verified", evidence=[evidence])
    return claims


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"mine", "rita", "verified", "reviewing"}),
        ("?status__exact=in_review", {"reviewing"}),
        ("?status__exact=verified", {"verified"}),
        ("?needs_review=yes", {"mine", "rita", "reviewing"}),
        ("?assigned=me", {"mine"}),
        ("?assigned=nobody", {"verified", "reviewing"}),
    ],
)
def test_filters(
    editor_client: Client, varied_claims: dict[str, Claim], query: str, expected: set[str]
) -> None:
    response = editor_client.get(LIST_URL + query)

    assert response.status_code == 200
    assert set(listed(response)) == {varied_claims[key].text for key in expected}


def test_filter_by_assignee_tag_and_claimant(
    editor_client: Client, varied_claims: dict[str, Claim]
) -> None:
    rita = User.objects.get(username="rita")
    rita_claim = varied_claims["rita"]
    tag = rita_claim.tags.get()

    by_assignee = editor_client.get(f"{LIST_URL}?assignee__id__exact={rita.pk}")
    by_tag = editor_client.get(f"{LIST_URL}?tags__id__exact={tag.pk}")
    by_claimant = editor_client.get(f"{LIST_URL}?claimant__id__exact={rita_claim.claimant_id}")

    for response in (by_assignee, by_tag, by_claimant):
        assert listed(response) == [rita_claim.text]
    # The filters are offered in the sidebar.
    sidebar = by_tag.content.decode()
    for title in ("By status", "By review", "By assignment", "By assignee", "By tags"):
        assert title in sidebar


def test_search_text_claimant_and_statement_sources_without_duplicates(
    editor_client: Client, search_engine: Callable[[], None]
) -> None:
    kuleba = factories.source(name="Dmytro Kuleba")
    peskov = factories.source(name="Dmitry Peskov")
    by_text = factories.claim(text="Exercises in Crimea are over.")
    by_claimant = factories.claim(text="Troops are going home.", claimant=peskov)
    countered = factories.claim(text="Units returned to base.")
    # Two statements by the same source: the claim must still be listed once.
    factories.statement(claim=countered, source=kuleba, quote="We will see.")
    factories.statement(claim=countered, source=kuleba, quote="We still will see.")
    factories.claim(text="Something unrelated.")
    search_engine()

    assert listed(editor_client.get(LIST_URL + "?q=crimea")) == [by_text.text]
    assert listed(editor_client.get(LIST_URL + "?q=peskov")) == [by_claimant.text]
    assert listed(editor_client.get(LIST_URL + "?q=kuleba")) == [countered.text]
    # Every word must match somewhere.
    assert listed(editor_client.get(LIST_URL + "?q=kuleba+units")) == [countered.text]
    assert listed(editor_client.get(LIST_URL + "?q=kuleba+crimea")) == []
    page = editor_client.get(LIST_URL + "?q=kuleba").content.decode()
    assert "1 result" in page


def make_listed_claim(number: int, assignee: User) -> None:
    source = factories.source(name=f"Source for claim {number}")
    claim = factories.claim(
        text=f"Claim {number} to list.",
        claimant=source,
        assignee=assignee,
        tags=[f"tag{number}", "shared"],
    )
    factories.statement(claim=claim, stance="supports", source=source)
    factories.statement(claim=claim, stance="counters", source=source)
    factories.evidence(claim=claim)


def queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_query_count_does_not_grow_with_the_page(
    editor_client: Client, django_assert_max_num_queries
) -> None:
    assignee = factories.reviewer()
    make_listed_claim(0, assignee)
    with django_assert_max_num_queries(12):
        response = editor_client.get(LIST_URL)
    assert len(listed(response)) == 1
    one_claim = queries_for(editor_client, LIST_URL)

    for number in range(1, 40):
        make_listed_claim(number, factories.reviewer() if number % 2 else assignee)
    with django_assert_max_num_queries(12):
        response = editor_client.get(LIST_URL)
    assert len(listed(response)) == 40

    assert queries_for(editor_client, LIST_URL) == one_claim
    assert queries_for(editor_client, LIST_URL + "?q=claim") == queries_for(
        editor_client, LIST_URL + "?q=claim+0"
    )


def test_search_lists_the_best_match_first_within_the_filters(
    editor_client: Client, search_engine: Callable[[], None]
) -> None:
    in_quote = factories.claim(text="Convoys head north.")
    factories.statement(claim=in_quote, quote="A satellite saw them.")
    in_text = factories.claim(text="Satellite images show the convoy.")
    reviewed = factories.claim(text="The convoy turned back.", summary="Seen by satellite.")
    factories.transition(claim=reviewed, status="in_review")
    search_engine()

    assert listed(editor_client.get(LIST_URL + "?q=satellite")) == [
        in_text.text,
        reviewed.text,
        in_quote.text,
    ]
    assert listed(editor_client.get(LIST_URL + "?q=satellite&status__exact=in_review")) == [
        reviewed.text
    ]
    assert (
        listed(editor_client.get(LIST_URL + "?q=satellite&needs_review=yes&status__exact=false"))
        == []
    )
    # A column chosen to order by orders the matches (2: the text, descending).
    by_text = listed(editor_client.get(LIST_URL + "?q=satellite&o=-2"))
    assert sorted(by_text) == sorted([in_text.text, reviewed.text, in_quote.text])


def test_a_search_lists_the_best_thousand(
    editor_client: Client, search_engine: Callable[[], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    from claims import admin as claims_admin

    monkeypatch.setattr(claims_admin, "ADMIN_SEARCH_LIMIT", 2)
    for number in range(3):
        factories.claim(text=f"Drills {number}.")
    search_engine()

    page = editor_client.get(LIST_URL + "?q=drills")

    assert len(listed(page)) == 2
    assert "The 2 best of 3 matches are listed" in page.content.decode()
