"""``manage.py loaddemo``: the article of 15 February 2022 as demo data, loaded once."""

# The quotes keep the article's curly apostrophes on purpose.

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.utils.html import escape
from pghistory.models import Context, Events

from claims import demo
from claims.models import Appearance, Claim, ClaimTag, Source, Statement, Tag
from core import roles
from tests import factories
from verification.models import Evidence, StatusChange, StatusChangeEvidence
from verification.workflow import VERDICTS

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
ARTICLE_NAME = "examples/nato-russia-troops-2022-02-15.txt"
# The article lives next to the design documents; a checkout may carry its own copy.
ARTICLE_CANDIDATES = (ROOT / ARTICLE_NAME, ROOT.parent / "shared" / ARTICLE_NAME)


def loaddemo(*args: str) -> str:
    out = StringIO()
    call_command("loaddemo", *args, stdout=out)
    return out.getvalue()


def database_state() -> dict[str, int | None]:
    """Row counts of every table loaddemo writes to, and the sum of the claim versions."""
    return {
        "users": User.objects.count(),
        "sources": Source.objects.count(),
        "source versions": Source.objects.aggregate(total=Sum("version"))["total"],
        "claims": Claim.objects.count(),
        "claim versions": Claim.objects.aggregate(total=Sum("version"))["total"],
        "tags": Tag.objects.count(),
        "claim tags": ClaimTag.objects.count(),
        "appearances": Appearance.objects.count(),
        "statements": Statement.objects.count(),
        "evidence": Evidence.objects.count(),
        "status changes": StatusChange.objects.count(),
        "cited evidence": StatusChangeEvidence.objects.count(),
        "history events": Events.objects.count(),
        "history contexts": Context.objects.count(),
        "group memberships": User.groups.through.objects.count(),
    }


def test_the_summary_counts_what_was_created() -> None:
    output = loaddemo()

    assert output.strip() == (
        "Loaded the demo: created 4 claims, 6 sources, 5 appearances, 7 statements, "
        "4 evidence, 5 status changes, 2 published fact checks, 3 users."
    )
    assert Claim.objects.count() == 4
    assert Statement.objects.count() == 7


def test_the_verdicts_are_published_for_a_newcomer_to_see(client) -> None:
    loaddemo()

    published = Claim.objects.filter(publication__isnull=False)
    assert sorted(claim.status for claim in published) == sorted(
        claim.status for claim in Claim.objects.filter(status__in=VERDICTS)
    )
    assert published.count() == 2
    home = client.get("/").content.decode()
    for claim in published:
        assert escape(claim.text) in home
        assert client.get(f"/fact-checks/{claim.pk}/", follow=True).status_code == 200


def test_sources_have_their_roles_and_kinds() -> None:
    loaddemo()

    sources = {source.name: (source.role, source.kind) for source in Source.objects.all()}
    assert sources["Dmitry Peskov"] == ("Kremlin spokesperson", "person")
    assert sources["Interfax"] == ("Russian news agency", "agency")
    assert sources["Commander of Russia's Southern Military District"][1] == "person"
    assert sources["Jens Stoltenberg"] == ("NATO Secretary General", "person")
    assert sources["Dmytro Kuleba"] == ("Ukraine's foreign minister", "person")
    assert sources["The Kremlin"][1] == "government"


def test_the_withdrawal_claim_has_its_claimant_appearances_and_counter_statements() -> None:
    loaddemo()

    claim = Claim.objects.get(text=demo.WITHDRAWAL_TEXT)
    assert claim.claimant is not None and claim.claimant.name == "Dmitry Peskov"
    assert claim.first_seen_at is not None and claim.first_seen_at.date().isoformat() == (
        "2022-02-15"
    )
    assert sorted(claim.tags.values_list("name", flat=True)) == [
        "de-escalation",
        "russia",
        "troops",
        "ukraine",
    ]
    assert [a.outlet for a in claim.appearances.all()] == ["Interfax", demo.ARTICLE_OUTLET]
    origin = claim.appearances.first()
    assert origin is not None and origin.url == demo.INTERFAX_URL

    stances = [(s.source.name, s.stance) for s in claim.statements.select_related("source")]
    assert stances == [
        ("Commander of Russia's Southern Military District", "supports"),
        ("Dmitry Peskov", "supports"),
        ("Dmytro Kuleba", "counters"),
        ("Jens Stoltenberg", "counters"),
    ]
    kuleba = claim.statements.get(source__name="Dmytro Kuleba")
    assert kuleba.quote == (
        "We won’t believe when we hear, we’ll believe when we see. "
        "When we see troops pulling out, we’ll believe in de-escalation."
    )
    assert kuleba.said_at is not None and kuleba.said_at.date().isoformat() == "2022-02-15"
    stoltenberg = claim.statements.get(source__name="Jens Stoltenberg")
    assert "so far we have not seen any sign of de-escalation on the ground" in stoltenberg.quote
    assert all(
        s.created_by and s.created_by.username == "demo-editor" for s in claim.statements.all()
    )


def test_quotes_are_verbatim_from_the_article() -> None:
    article = next((path for path in ARTICLE_CANDIDATES if path.exists()), None)
    if article is None:
        pytest.skip(f"The article {ARTICLE_NAME} is not in this checkout.")
    text = article.read_text(encoding="utf-8")
    loaddemo()

    quotes = [*Statement.objects.values_list("quote", flat=True)]
    quotes += [q for q in Appearance.objects.values_list("quote", flat=True) if q]
    assert len(quotes) == 11
    for quote in quotes:
        assert quote in text, quote


def test_the_buildup_claim_is_supported_and_verified_with_evidence_cited() -> None:
    loaddemo()

    claim = Claim.objects.get(text=demo.BUILDUP_TEXT)
    assert claim.status == "verified"
    supports = claim.statements.get(stance="supports")
    assert supports.source.name == "Jens Stoltenberg"
    assert supports.quote.startswith("Russia has amassed a fighting force in and around Ukraine")
    verdict = claim.status_changes.get(to_status="verified")
    cited = set(verdict.evidence.values_list("url", flat=True))
    assert cited == {demo.IMAGERY_URL, demo.NATO_TRANSCRIPT_URL}
    assert set(claim.evidence.values_list("added_by__username", flat=True)) == {"demo-reviewer"}


def test_status_histories_are_realistic() -> None:
    loaddemo()

    def history(text: str) -> list[tuple[str, str]]:
        claim = Claim.objects.get(text=text)
        return [(c.from_status, c.to_status) for c in claim.status_changes.all()]

    assert history(demo.WITHDRAWAL_TEXT) == [
        ("unverified", "in_review"),
        ("in_review", "unproven"),
    ]
    assert history(demo.BUILDUP_TEXT) == [("unverified", "in_review"), ("in_review", "verified")]
    assert history(demo.NO_INVASION_TEXT) == [("unverified", "in_review")]
    assert history(demo.MISINFORMATION_TEXT) == []
    assert Claim.objects.get(text=demo.MISINFORMATION_TEXT).status == "unverified"

    withdrawal = Claim.objects.get(text=demo.WITHDRAWAL_TEXT)
    changes = list(withdrawal.status_changes.all())
    assert all(change.channel == "command" for change in changes)
    # Proposed by the demo reviewer; the verdict approved by a second reviewer.
    assert [change.actor.username for change in changes] == ["demo-reviewer", "demo-approver"]
    assert changes[-1].proposal.proposed_by.username == "demo-reviewer"
    assert "No withdrawal is visible on the ground" in changes[-1].reason
    assert changes[0].claim_version < changes[1].claim_version < withdrawal.version
    [published] = withdrawal.publication_changes.all()  # the verdict published after it
    assert (published.action, published.to_label) == ("published", "Unproven")
    assert published.claim_version == withdrawal.version
    assert changes[-1].evidence.count() == 2


def test_claims_are_assigned_to_the_demo_reviewer() -> None:
    loaddemo()

    assigned = set(
        Claim.objects.filter(assignee__username="demo-reviewer").values_list("text", flat=True)
    )
    assert assigned == {demo.WITHDRAWAL_TEXT, demo.BUILDUP_TEXT, demo.NO_INVASION_TEXT}
    assert set(Claim.objects.values_list("created_by__username", flat=True)) == {"demo-editor"}


def test_demo_users_are_staff_in_their_groups_and_cannot_sign_in() -> None:
    loaddemo()

    editor = User.objects.get(username="demo-editor")
    reviewers = [User.objects.get(username=name) for name in ("demo-reviewer", "demo-approver")]
    for user in (editor, *reviewers):
        assert user.is_staff and not user.has_usable_password()
    assert list(editor.groups.values_list("name", flat=True)) == [roles.EDITOR]
    for reviewer in reviewers:
        assert list(reviewer.groups.values_list("name", flat=True)) == [roles.REVIEWER]


def test_every_history_event_is_marked_as_coming_from_the_command() -> None:
    loaddemo()

    contexts = list(Context.objects.values_list("metadata", flat=True))
    assert contexts == [{"channel": "command", "command": "loaddemo"}]
    assert Events.objects.count() > 0
    assert not Events.objects.filter(pgh_context_id__isnull=True).exists()


def test_running_twice_changes_nothing() -> None:
    loaddemo()
    before = database_state()

    output = loaddemo()

    assert output.strip() == "Demo data already loaded: nothing to do."
    assert database_state() == before


def test_existing_users_and_sources_are_reused() -> None:
    editor = factories.editor(username="demo-editor")
    peskov = factories.source(name="dmitry peskov", role="Kremlin spokesperson")

    output = loaddemo()

    assert "created 4 claims, 5 sources," in output
    assert output.strip().endswith("5 status changes, 2 published fact checks, 2 users.")
    claim = Claim.objects.get(text=demo.WITHDRAWAL_TEXT)
    assert claim.claimant == peskov
    assert claim.created_by == editor


def test_a_claim_already_there_is_left_alone() -> None:
    existing = factories.claim(text=demo.MISINFORMATION_TEXT)

    output = loaddemo()

    assert "created 3 claims" in output
    existing.refresh_from_db()
    assert existing.version == 1
    assert not existing.appearances.exists()
    assert Claim.objects.filter(text=demo.MISINFORMATION_TEXT).count() == 1


def test_an_inactive_demo_user_is_a_clear_error_and_nothing_is_loaded() -> None:
    factories.reviewer(username="demo-reviewer", is_active=False)

    with pytest.raises(CommandError, match="'demo-reviewer' and 'demo-approver' are active"):
        loaddemo()

    assert not Claim.objects.exists()
    assert not Source.objects.exists()
