"""Full-text search over claims: what a query finds, in which order, and what it costs."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from claims import services
from claims.models import Claim, SearchDocument
from claims.search import (
    claim_fulltext,
    claim_search_refresh,
    claim_search_refresh_all,
    claim_search_refresh_for_source,
    search_config,
)
from claims.selectors import claim_list
from tests import factories as f
from tests.races import race
from verification.models import Channel
from verification.services import claim_transition

pytestmark = pytest.mark.django_db


def found(q: str, language: str | None = None) -> set[str]:
    """Texts of the claims ``q`` finds."""
    return set(
        claim_fulltext(Claim.objects.all(), q=q, language=language).values_list("text", flat=True)
    )


# --- Words: stems, accents, languages -------------------------------------------------------


def test_english_stems_match_forms_of_a_word():
    f.claim(text="Russia has ordered a troop withdrawal from the border.")
    f.claim(text="The army withdrew overnight.")
    f.claim(text="Officials deny plans to invade.")

    assert found("troops") == {"Russia has ordered a troop withdrawal from the border."}
    assert found("withdrawing") == {"Russia has ordered a troop withdrawal from the border."}
    assert found("orders") == {"Russia has ordered a troop withdrawal from the border."}
    assert found("invading") == {"Officials deny plans to invade."}
    # The English stemmer does not know irregular forms or derived nouns.
    assert found("withdrew") == {"The army withdrew overnight."}
    assert found("invasion") == set()


def test_accents_are_ignored_on_both_sides():
    f.claim(text="Explosions were heard in Kýiv.")
    f.claim(text="Reporters met at the café near the Kremlin.")
    f.claim(text="Air raid sirens sounded in Kyiv.")

    kyiv = {"Explosions were heard in Kýiv.", "Air raid sirens sounded in Kyiv."}
    assert found("Kyiv") == kyiv
    assert found("Kýiv") == kyiv
    assert found("cafe") == {"Reporters met at the café near the Kremlin."}
    assert found("CAFÉ") == {"Reporters met at the café near the Kremlin."}


def test_russian_claim_is_found_by_a_stemmed_russian_query():
    f.claim(text="Россия отводит войска от границы Украины.", language="ru")

    assert found("войсками", language="ru") == {"Россия отводит войска от границы Украины."}
    assert found("границе украины", language="ru") == {"Россия отводит войска от границы Украины."}
    # Parsed as English, only the exact word form matches.
    assert found("войсками") == set()
    assert found("войска") == {"Россия отводит войска от границы Украины."}


def test_words_in_a_language_without_stemmer_match_exactly():
    f.claim(text="Війська відходять від кордону.", language="uk")

    assert found("війська", language="uk") == {"Війська відходять від кордону."}
    assert found("військами", language="uk") == set()


@pytest.mark.parametrize(
    ("language", "config"),
    [
        ("en", "english"),
        ("EN-gb", "english"),
        ("pt_BR", "portuguese"),
        ("ru", "russian"),
        ("uk", "simple"),
        ("fr", "french"),
        ("de", "german"),
        ("es", "spanish"),
        ("it", "italian"),
        ("nl", "dutch"),
        ("xx", "simple"),
        ("", "simple"),
        (None, "simple"),
    ],
)
def test_language_codes_map_to_text_search_configurations(language, config):
    assert search_config(language) == config


def test_every_configuration_exists_in_the_database():
    from claims.search import SEARCH_CONFIGS

    with connection.cursor() as cursor:
        cursor.execute("SELECT cfgname FROM pg_ts_config")
        installed = {row[0] for row in cursor.fetchall()}
    assert set(SEARCH_CONFIGS.values()) <= installed


# --- Where a word can be: text, summary, claimant, statements -------------------------------


def test_claims_are_found_by_summary_claimant_statement_quote_and_statement_source():
    peskov = f.source(name="Dmitry Peskov", role="Kremlin spokesperson")
    kuleba = f.source(name="Dmytro Kuleba", role="Foreign minister of Ukraine")
    claim = f.claim(
        text="Russia has ordered troops near Ukraine's border back to their bases.",
        summary="Said after talks with Chancellor Scholz.",
        claimant=peskov,
    )
    f.statement(claim=claim, source=kuleba, quote="We will believe when we see.")
    f.claim(text="An unrelated claim.")

    for q in ["Scholz", "Peskov", "Kuleba", "believe", "Dmytro Kuleba", "dmitry"]:
        assert found(q) == {claim.text}, q
    # Roles and appearances are not part of the document.
    assert found("spokesperson") == set()


def test_a_match_in_the_text_ranks_above_a_match_in_a_quote():
    in_quote = f.claim(text="Troops are returning to their bases.")
    f.statement(claim=in_quote, quote="Satellite images show no movement.")
    in_summary = f.claim(text="Equipment is being loaded on trains.", summary="Satellite photos.")
    in_text = f.claim(text="Satellite images show troops leaving Crimea.")

    ranked = list(claim_fulltext(Claim.objects.all(), q="satellite").order_by("-rank"))

    assert ranked == [in_text, in_summary, in_quote]
    assert ranked[0].rank > ranked[1].rank > ranked[2].rank > 0


def test_web_search_syntax():
    f.claim(text="Troops return to bases after drills.")
    f.claim(text="NATO sees no troops returning to bases.")
    f.claim(text="Drills continue in Belarus.")

    assert found("troops -nato") == {"Troops return to bases after drills."}
    # A phrase keeps its order and is stemmed like any word.
    assert found('"continue in Belarus"') == {"Drills continue in Belarus."}
    assert found('"Belarus continue"') == set()
    assert found('"troops return"') == {
        "Troops return to bases after drills.",
        "NATO sees no troops returning to bases.",
    }
    assert found("belarus or nato") == {
        "NATO sees no troops returning to bases.",
        "Drills continue in Belarus.",
    }
    assert found("troops belarus") == set()


# --- Queries that parse to nothing, and hostile ones ----------------------------------------


@pytest.mark.parametrize("q", ["", "   ", "\n\t"])
def test_blank_query_returns_the_queryset_unchanged(q):
    f.claim(text="Some claim.")
    queryset = Claim.objects.filter(status="unverified")
    assert claim_fulltext(queryset, q=q) is queryset


@pytest.mark.parametrize("q", ["the", "The and of", "!!! ...", '"" -', "()&|:*", "-the"])
def test_query_of_only_stop_words_or_punctuation_finds_nothing(q):
    f.claim(text="The troops and the tanks of the army.")
    assert found(q) == set()


@pytest.mark.parametrize(
    "q",
    [
        "'; DROP TABLE claims_claim; --",
        "troops' OR 1=1 --",
        "%(configs)s %s {0}",
        "troops\x00",
        "a:* & !b | (c <-> d)",
        "x" * 5000,
    ],
)
def test_hostile_queries_are_only_text(q):
    f.claim(text="Troops return to bases.")
    list(claim_fulltext(claim_list(), q=q))
    assert Claim.objects.count() == 1


def test_the_null_character_is_dropped():
    f.claim(text="Troops return to bases.")
    assert found("tro\x00ops") == {"Troops return to bases."}
    # Not blank to the caller, so still a search (with a rank to order by) that finds nothing.
    assert list(claim_fulltext(Claim.objects.all(), q="\x00 ").order_by("-rank")) == []


# --- The document follows every write -------------------------------------------------------


def test_claim_edit_updates_the_document():
    editor = f.editor()
    interfax = f.source(name="Interfax", kind="agency")
    claim = f.claim(actor=editor, text="Tanks leave Crimea.", claimant=interfax)

    services.claim_update(
        actor=editor,
        claim=claim,
        version=claim.version,
        data={"text": "Trains leave Crimea.", "summary": "Ferry photos.", "claimant": None},
    )

    assert found("trains") == found("ferry") == {"Trains leave Crimea."}
    assert found("tanks") == found("interfax") == set()


def test_claim_language_change_updates_the_stems():
    editor = f.editor()
    claim = f.claim(actor=editor, text="Войска возвращаются.", language="en")
    assert found("войсками", language="ru") == set()

    services.claim_update(actor=editor, claim=claim, version=claim.version, data={"language": "ru"})

    assert found("войсками", language="ru") == {"Войска возвращаются."}


def test_source_rename_updates_claims_it_made_and_commented():
    editor = f.editor()
    agency = f.source(name="Interfax", kind="agency")
    made = f.claim(text="Drills are over.", claimant=agency)
    commented = f.claim(text="Troops return to bases.")
    f.statement(claim=commented, source=agency, quote="Trains were seen loading.")
    f.claim(text="Unrelated.")

    services.source_update(actor=editor, source=agency, version=1, data={"name": "TASS"})

    assert found("TASS") == {made.text, commented.text}
    assert found("Interfax") == set()


def test_statement_edit_and_removal_update_the_document():
    editor = f.editor()
    claim = f.claim(text="Troops return to bases.")
    stoltenberg = f.source(name="Jens Stoltenberg")
    kept = f.statement(claim=claim, quote="We see no signs of de-escalation.")
    dropped = f.statement(claim=claim, source=stoltenberg, quote="Cautious optimism.")
    assert found("optimism") == found("Stoltenberg") == found("escalation") == {claim.text}

    services.statement_update(actor=editor, statement=kept, data={"quote": "Nothing changed."})
    assert found("escalation") == set()
    assert found("nothing changed") == {claim.text}

    services.statement_remove(actor=editor, statement=dropped)
    assert found("optimism") == found("Stoltenberg") == set()
    assert found("nothing changed") == {claim.text}


def test_refresh_is_one_statement(django_assert_num_queries):
    source = f.source(name="Interfax")
    claims = [f.claim(claimant=source) for _ in range(3)]

    with django_assert_num_queries(1):
        assert claim_search_refresh(claim_ids=[claim.pk for claim in claims]) == 3
    with django_assert_num_queries(1):
        assert claim_search_refresh_for_source(source_id=source.pk) == 3
    with django_assert_num_queries(0):
        assert claim_search_refresh(claim_ids=[]) == 0


@pytest.mark.django_db(transaction=True)
def test_source_rename_waiting_for_a_claim_edit_keeps_both_changes():
    editor = f.editor()
    agency = f.source(name="Interfax", kind="agency")
    claim = f.claim(actor=editor, text="Tanks leave Crimea.", claimant=agency)
    edit_locked, release_edit = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def edit() -> None:
        try:
            with transaction.atomic():
                services.claim_update(
                    actor=editor, claim=claim, version=1, data={"text": "Trains leave Crimea."}
                )
                edit_locked.set()
                release_edit.wait(timeout=30)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    def rename() -> None:
        try:
            services.source_update(actor=editor, source=agency, version=1, data={"name": "TASS"})
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    race(edit, rename, first_holds=edit_locked, release_first=release_edit)

    assert errors == []
    # The rename's refresh waited for the edit's lock, then built the document from the edited row.
    assert found("trains tass") == {"Trains leave Crimea."}
    assert found("tanks") == set()


# --- Edit history ---------------------------------------------------------------------------


def test_refreshing_the_document_writes_no_edit_history():
    editor = f.editor()
    source = f.source(name="Interfax")
    claim = f.claim(actor=editor, text="Troops return to bases.", claimant=source)
    f.statement(claim=claim, quote="We see no signs of it.")
    before = claim.events.count()

    SearchDocument.objects.filter(claim=claim).delete()
    assert claim_search_refresh(claim_ids=[claim.pk]) == 1
    claim_search_refresh_for_source(source_id=source.pk)
    claim_search_refresh_all()

    assert claim.events.count() == before
    assert found("troops") == {claim.text}


def test_an_edit_still_writes_one_history_event_without_the_document():
    editor = f.editor()
    claim = f.claim(actor=editor, text="Troops return to bases.")
    before = claim.events.count()

    services.claim_update(actor=editor, claim=claim, version=1, data={"text": "Tanks too."})

    events = list(claim.events.order_by("pgh_id"))
    assert len(events) == before + 1
    assert events[-1].text == "Tanks too."
    assert found("tanks") == {"Tanks too."}


def _document_version(claim: Claim) -> int:
    """The transaction that last wrote the claim's search document (PostgreSQL's xmin)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT xmin::text::bigint FROM claims_searchdocument WHERE claim_id = %s", [claim.pk]
        )
        return int(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_a_status_change_or_an_assignment_leaves_the_document_alone():
    # Each write of a document writes it into the GIN index again: a claim's status changes
    # and assignments, the most frequent updates of a claim, must not (bench/).
    editor, reviewer = f.editor(), f.reviewer()
    claim = f.claim(actor=editor, text="Troops return to bases.")
    written = _document_version(claim)

    claim_transition(
        actor=reviewer, claim=claim, status="in_review", reason="Triage.", channel=Channel.API
    )
    services.claim_assign(actor=editor, claim=claim, assignee=reviewer)
    assert _document_version(claim) == written

    services.claim_update(actor=editor, claim=claim, version=3, data={"text": "Tanks too."})
    assert _document_version(claim) != written


# --- Query shape ----------------------------------------------------------------------------


def test_search_with_the_list_shape_is_one_query(django_assert_num_queries):
    for n in range(5):
        claim = f.claim(text=f"Troops near the border, report {n}.", claimant=f.source())
        f.statement(claim=claim)

    with django_assert_num_queries(1):
        rows = list(claim_fulltext(claim_list(), q="troops").order_by("-rank"))
        assert [row.claimant.name for row in rows]
        assert [row.countering_count for row in rows] == [1] * 5


def test_search_uses_the_gin_index_on_a_large_table():
    user = f.editor()
    # Volume only: rows written directly, then one bulk refresh, as after a data load.
    routine = [
        Claim(text=f"Routine claim {n} about logistics.", created_by=user) for n in range(2000)
    ]
    Claim.objects.bulk_create([*routine, Claim(text="Zeppelins over the border.", created_by=user)])
    assert claim_search_refresh_all() == 2001
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim, claims_searchdocument")

    queryset = claim_fulltext(Claim.objects.all(), q="zeppelin").order_by("-rank")
    plan = queryset.explain()

    assert "search_document_vector" in plan, plan
    assert [claim.text for claim in queryset] == ["Zeppelins over the border."]
