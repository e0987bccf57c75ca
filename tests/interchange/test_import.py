"""Importing fact checks: reviews attached to claims, idempotently, with nobody notified."""

from __future__ import annotations

import io
import json
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connections, transaction
from pytest_django.fixtures import Settings

from claims.models import Claim, Source
from interchange import services
from interchange.models import Import, ImportedClaim, ImportStatus, RatingMapping, Review
from interchange.selectors import claim_reviews
from interchange.services import _claim_lock_key
from notifications.models import Event
from tests import factories as f
from tests.interchange.conftest import Site
from tests.interchange.test_reading import review
from tests.races import race

pytestmark = pytest.mark.django_db

CLAIM = "Russia has ordered troops back to their bases."


def feed(*reviews: dict[str, object]) -> bytes:
    return json.dumps(list(reviews), ensure_ascii=False).encode()


def run_import(content: bytes, *, actor: object = None, dry_run: bool = False) -> Import:
    run = services.import_create(
        actor=actor or f.editor(), source="reviews.json", content=content, dry_run=dry_run
    )
    return services.import_run(run=run)


def second_publisher(**overrides: object) -> dict[str, object]:
    return review(
        url="https://verificado.example.mx/2022/tropas",
        author={
            "@type": "Organization",
            "name": "Verificado",
            "url": "https://verificado.example.mx",
        },
        reviewRating={"@type": "Rating", "alternateName": "Engañoso"},
        inLanguage="es",
        **overrides,
    )


def test_publishers_reviewing_one_claim_meet_on_one_imported_claim() -> None:
    run = run_import(feed(review(), second_publisher(claimReviewed=f"“{CLAIM.upper()}”")))

    assert (run.status, run.summary) == (
        ImportStatus.DONE,
        "2 created, 0 updated, 0 unchanged, 0 refused",
    )
    claim = Claim.objects.get()
    assert claim.text == CLAIM
    assert claim.imported.source == "reviews.json"
    reviews = {r.publisher_name: r for r in claim_reviews(claim_id=claim.pk)}
    assert reviews["Example Check"].rating_label == "False"
    assert reviews["Example Check"].verdict == "false"
    assert reviews["Example Check"].rating_value == Decimal(1)
    assert reviews["Example Check"].publisher_site == "example.org"
    assert reviews["Verificado"].rating_label == "Engañoso"
    assert reviews["Verificado"].verdict == "misleading"


def test_the_claim_gets_its_claimant_appearances_and_first_seen_date() -> None:
    item = review()
    item["itemReviewed"] = {
        "@type": "Claim",
        "author": {"@type": "Person", "name": "Dmitry Peskov"},
        "datePublished": "2022-02-15",
        "firstAppearance": {"@type": "CreativeWork", "url": "https://example.org/interfax/1"},
        "appearance": [
            {"@type": "CreativeWork", "url": "https://example.org/tass/2"},
            {"@type": "CreativeWork", "url": "javascript:alert(1)"},  # not an address: dropped
        ],
    }
    run_import(feed(item))

    claim = Claim.objects.get()
    assert claim.claimant is not None
    assert (claim.claimant.name, claim.claimant.kind) == ("Dmitry Peskov", "person")
    assert (
        claim.first_seen_at is not None and claim.first_seen_at.date().isoformat() == "2022-02-15"
    )
    assert sorted(claim.appearances.values_list("url", flat=True)) == [
        "https://example.org/interfax/1",
        "https://example.org/tass/2",
    ]


def test_an_existing_claim_gains_only_what_it_lacks() -> None:
    peskov = f.source(name="Kremlin", kind="organisation")
    claim = f.claim(text=CLAIM.rstrip("."), claimant=peskov, language="en")
    item = review()
    item["itemReviewed"] = {"@type": "Claim", "author": {"@type": "Person", "name": "Someone Else"}}
    version = claim.version

    run_import(feed(item))

    claim.refresh_from_db()
    assert claim.claimant == peskov
    assert claim.reviews.count() == 1
    assert claim.version > version  # its ETag changes: it shows its reviews
    assert not ImportedClaim.objects.exists()
    assert not Source.objects.filter(name="Someone Else").exists()


def test_importing_again_changes_nothing_and_a_changed_review_is_updated_with_history() -> None:
    content = feed(review(), second_publisher())
    run_import(content)
    events = Review.pgh_event_model.objects.count()  # type: ignore[attr-defined]

    again = run_import(content)
    assert again.summary == "0 created, 0 updated, 2 unchanged, 0 refused"
    assert Review.pgh_event_model.objects.count() == events  # type: ignore[attr-defined]

    changed = review(
        reviewRating={"@type": "Rating", "alternateName": "Mostly_False", "ratingValue": "2"}
    )
    third = run_import(feed(changed, second_publisher()))
    assert third.summary == "0 created, 1 updated, 1 unchanged, 0 refused"
    updated = claim_reviews(claim_id=Claim.objects.get().pk).get(publisher_name="Example Check")
    assert (updated.rating_label, updated.rating_value, updated.verdict) == (
        "Mostly_False",
        Decimal(2),
        "false",  # "Mostly false", whatever its case and separators
    )
    history = Review.pgh_event_model.objects.filter(pgh_obj_id=updated.pk)  # type: ignore[attr-defined]
    assert list(history.order_by("pgh_id").values_list("rating_label", flat=True)) == [
        "False",
        "Mostly_False",
    ]


def test_an_unknown_label_has_no_verdict_until_someone_maps_it() -> None:
    run_import(feed(review(reviewRating={"@type": "Rating", "alternateName": "really_false"})))
    assert claim_reviews(claim_id=Claim.objects.get().pk).get().verdict is None

    mapping = RatingMapping(label="Really false", verdict="false")
    mapping.full_clean()
    mapping.save()

    assert claim_reviews(claim_id=Claim.objects.get().pk).get().verdict == "false"


@pytest.mark.parametrize(
    ("label", "verdict"),
    [
        ("زائف", "false"),
        ("مضلل", "misleading"),
        ("Фейк", "false"),
        ("Маніпуляція", "misleading"),
        ("Plutôt faux", "false"),
        ("IRREFÜHREND", "misleading"),
        ("Sem provas", "unproven"),
        ("Satire", None),
    ],
)
def test_the_seeded_mapping_reads_labels_in_many_languages(label: str, verdict: str | None) -> None:
    run_import(feed(review(reviewRating={"@type": "Rating", "alternateName": label})))
    assert claim_reviews(claim_id=Claim.objects.get().pk).get().verdict == verdict


def test_a_mapping_is_refused_for_a_label_mapped_already() -> None:
    mapping = RatingMapping(label="  FALSE!  ", verdict="verified")
    with pytest.raises(Exception, match="“False” is mapped already"):
        mapping.full_clean()


def test_bad_items_are_refused_with_where_and_why_and_the_rest_imported() -> None:
    hidden = review(url="https://example.org/a", claimReviewed="Paid \u202egnp.exe")
    no_url = review(url=None)
    good = review(url="https://example.org/b", claimReviewed="Ukraine will believe when it sees.")
    run = run_import(feed(hidden, no_url, good))

    assert run.summary == "1 created, 0 updated, 0 unchanged, 2 refused"
    assert run.refusals == [
        {
            "where": "the document, item 1",
            "reason": "claimReviewed: Remove the right-to-left override (U+202E).",
        },
        {
            "where": "the document, item 2",
            "reason": "It has no url: a review is identified by its address.",
        },
    ]
    assert Claim.objects.get().text == "Ukraine will believe when it sees."


def test_oversized_ratings_are_not_ratings() -> None:
    run_import(
        feed(
            review(
                reviewRating={"@type": "Rating", "alternateName": "False", "ratingValue": "1e30"}
            )
        )
    )
    assert Review.objects.get().rating_value is None


def test_imports_notify_nobody() -> None:
    watched = f.claim(text=CLAIM)
    events = Event.objects.count()
    run_import(feed(review(), review(url="https://example.org/new", claimReviewed="A new claim.")))
    assert Event.objects.count() == events
    assert watched.reviews.count() == 1


def test_a_dry_run_reports_and_changes_nothing() -> None:
    run = run_import(feed(review(), second_publisher(), review(url=None)), dry_run=True)
    assert run.summary == "2 created, 0 updated, 0 unchanged, 1 refused"
    assert not Claim.objects.exists() and not Review.objects.exists()


def test_only_people_who_may_import_do() -> None:
    with pytest.raises(PermissionDenied, match="import fact checks"):
        services.import_create(actor=f.viewer(), source="x.json", content=b"[]")


def test_a_permission_withdrawn_before_the_import_runs_fails_it() -> None:
    editor = f.editor()
    run = services.import_create(actor=editor, source="x.json", content=feed(review()))
    editor.groups.clear()
    editor = type(editor).objects.get(pk=editor.pk)  # no cached permissions

    run = services.import_run(run=run)

    assert run.status == ImportStatus.FAILED
    assert "permission to import fact checks" in run.error
    assert not Review.objects.exists()


def test_an_import_runs_once() -> None:
    run = services.import_create(actor=f.editor(), source="x.json", content=feed(review()))
    services.import_run(run=run)
    again = services.import_run(run=Import.objects.get(pk=run.pk))
    assert again.summary == "1 created, 0 updated, 0 unchanged, 0 refused"
    assert Review.objects.count() == 1


# --- From a URL ------------------------------------------------------------------------------


def test_a_page_is_read_from_a_url_after_its_redirects(site: Site) -> None:
    html = (
        "<html><head><script type='application/ld+json'>"
        + json.dumps(review(), ensure_ascii=False)
        + "</script></head><body>Fact check</body></html>"
    )
    site.put("/final", html, headers={"Content-Type": "text/html; charset=utf-8"})
    site.put("/moved", "", status=301, headers={"Location": "/final"})
    url = site.put("/start", "", status=302, headers={"Location": f"{site.base}/moved"})

    run = services.import_run(run=services.import_create(actor=f.editor(), source=url, url=url))

    assert run.summary == "1 created, 0 updated, 0 unchanged, 0 refused", run.error
    assert site.requests == ["/start", "/moved", "/final"]


def test_a_url_that_fails_fails_the_import_with_its_reason(site: Site, settings: Settings) -> None:
    url = site.put("/gone", "", status=410)
    run = services.import_run(run=services.import_create(actor=f.editor(), source=url, url=url))
    assert (run.status, run.error) == (ImportStatus.FAILED, f"{url} answered HTTP 410.")

    loop = site.put("/loop", "", status=302, headers={"Location": "/loop"})
    run = services.import_run(run=services.import_create(actor=f.editor(), source=loop, url=loop))
    assert run.error == f"More than 5 redirects from {loop}."

    settings.IMPORT_MAX_BYTES = 100
    big = site.put("/big", feed(review(), review(url="https://example.org/2")))
    run = services.import_run(run=services.import_create(actor=f.editor(), source=big, url=big))
    assert run.error == f"{big} sent more than 100 bytes."


def test_a_redirect_to_a_private_address_is_refused(site: Site, settings: Settings) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(Exception, match="non-public address"):
        services.import_create(actor=f.editor(), source=site.base, url=site.base + "/x")


# --- The command ------------------------------------------------------------------------------


def test_the_command_imports_files_and_prints_a_summary_with_each_refusal(tmp_path: Path) -> None:
    first = tmp_path / "one.jsonl"
    first.write_text(
        "\n".join(json.dumps(item, ensure_ascii=False) for item in (review(), second_publisher())),
        encoding="utf-8",
    )
    second = tmp_path / "two.json"
    second.write_bytes(feed(review(url="ftp://example.org/x")))
    out, err = io.StringIO(), io.StringIO()

    call_command("import_claimreviews", str(first), str(second), stdout=out, stderr=err)

    lines = out.getvalue().splitlines()
    assert f"{first}: 2 created, 0 updated, 0 unchanged, 0 refused" in lines
    assert (
        "  refused the document, item 1: Its url 'ftp://example.org/x' is not an http(s) address."
        in lines
    )
    assert f"{second}: 0 created, 0 updated, 0 unchanged, 1 refused" in lines
    assert "read" in err.getvalue()  # the progress line

    out = io.StringIO()
    call_command("import_claimreviews", str(first), "--dry-run", stdout=out, stderr=io.StringIO())
    assert f"{first}: (dry run, nothing saved) 0 created, 0 updated, 2 unchanged, 0 refused" in (
        out.getvalue().splitlines()
    )


def test_the_command_says_what_it_cannot_read(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("import_claimreviews", str(tmp_path / "missing.json"))
    with pytest.raises(CommandError, match="There is no user 'nobody'"):
        call_command("import_claimreviews", str(tmp_path), "--user", "nobody")


def test_the_example_file_meets_the_demo_claims() -> None:
    """examples/fact-checks.json, which ``make run`` imports after the demo."""
    from claims.demo import NO_INVASION_TEXT, WITHDRAWAL_TEXT, demo_load

    demo_load()
    claims = Claim.objects.count()
    example = Path(__file__).resolve().parents[2] / "examples" / "fact-checks.json"
    out = io.StringIO()

    call_command("import_claimreviews", str(example), stdout=out, stderr=io.StringIO())

    assert out.getvalue().endswith(": 5 created, 0 updated, 0 unchanged, 0 refused\n")
    assert Claim.objects.count() == claims + 2  # the Arabic and the Russian claims are new
    withdrawal = Claim.objects.get(text=WITHDRAWAL_TEXT)
    # Quoted, with a typographic apostrophe in "Ukraine's", it is the demo's claim too.
    assert sorted(withdrawal.reviews.values_list("rating_label", flat=True)) == [
        "Unproven",
        "Маніпуляція",
    ]
    assert withdrawal.claimant is not None and withdrawal.claimant.role == "Kremlin spokesperson"
    assert not ImportedClaim.objects.filter(claim=withdrawal).exists()
    assert Claim.objects.get(text=NO_INVASION_TEXT).reviews.get().publisher_name == (
        "Verificado Ejemplo"
    )
    arabic = Claim.objects.get(text="روسيا سحبت جميع قواتها من الحدود الأوكرانية")
    assert arabic.language == "ar"
    assert claim_reviews(claim_id=arabic.pk).get().verdict == "false"
    russian = Claim.objects.get(text="Запад раздувает истерику вокруг Украины")
    assert claim_reviews(claim_id=russian.pk).get().verdict is None  # "nuzhen_kontekst"

    out = io.StringIO()
    call_command("import_claimreviews", str(example), stdout=out, stderr=io.StringIO())
    assert out.getvalue().endswith(": 0 created, 0 updated, 5 unchanged, 0 refused\n")


def test_imported_claims_are_found_by_postgresql_search_too(settings: Settings) -> None:
    """The full-text document (SEARCH_BACKEND=postgres, the export's q) is written with the
    claim, its claimant's name included."""
    from search.backends import claim_search

    settings.SEARCH_BACKEND = "postgres"
    item = review()
    item["itemReviewed"] = {"@type": "Claim", "author": {"@type": "Person", "name": "Peskov"}}
    run_import(feed(item))

    claim = Claim.objects.get()
    assert claim_search("troops bases").ids == [str(claim.pk)]
    assert claim_search("peskov").ids == [str(claim.pk)]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"inLanguage": "en\x00"}, "inLanguage: Remove the null character (U+0000)."),
        (
            {"author": {"@type": "Organization", "name": "Ex\x00", "url": "https://ex\x00.org"}},
            "author.name: Remove the null character (U+0000). "
            "author.url: Remove the null character (U+0000).",
        ),
        ({"claimReviewed": "Troops\x00back"}, "claimReviewed: Remove the null character (U+0000)."),
        ({"headline": "x\x00"}, "headline: Remove the null character (U+0000)."),
        (
            {"reviewRating": {"@type": "Rating", "alternateName": "False\x00"}},
            "reviewRating.alternateName: Remove the null character (U+0000).",
        ),
        ({"url": "https://example.org/a\x00b"}, "url: Enter a web address that starts with"),
        (
            {"author": {"@type": "Organization", "name": "x", "url": f"https://{'b' * 300}.org"}},
            "author.url: Ensure this value has at most 253 characters (it has 304).",
        ),
    ],
    ids=["language", "publisher", "claim", "headline", "label", "url", "site"],
)
def test_values_the_database_cannot_hold_refuse_their_item_only(
    overrides: dict[str, object], reason: str
) -> None:
    """A NUL byte (PostgreSQL text cannot hold it) or an over-long host once stopped the whole
    import with a database error."""
    run = run_import(feed(review(**overrides), review(url="https://example.org/fine")))

    assert (run.status, run.summary) == ("done", "1 created, 0 updated, 0 unchanged, 1 refused")
    assert run.refusals[0]["reason"].startswith(reason), run.refusals


@pytest.mark.django_db(transaction=True)
def test_imports_of_matching_new_claim_texts_wait_for_each_other() -> None:
    """The lock that keeps two imports from creating one claim twice is on the key claims are
    matched by: the text quoted with a typographic apostrophe and in lower case share it."""
    editor = f.editor()
    holds, release = threading.Event(), threading.Event()

    def first() -> None:
        try:
            with transaction.atomic():
                _claim_lock_key("“Russia’s troops are back at their bases.”")
                holds.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    def second() -> None:
        try:
            run = services.import_create(
                actor=editor,
                source="b.json",
                content=feed(review(claimReviewed="russia's troops are back at their bases")),
            )
            services.import_run(run=run)
        finally:
            connections.close_all()

    race(first, second, first_holds=holds, release_first=release)

    assert Claim.objects.get().text == "russia's troops are back at their bases"


def test_the_report_names_new_claims_that_look_like_claims_already_here(settings) -> None:
    from matching.vectors import VectorIndex
    from search.indexer import index_rebuild

    ours = f.claim(text="Russia has ordered troops near Ukraine's border back to their bases.")
    index_rebuild(settings.SEARCH_INDEX_DIR)
    index_rebuild(settings.SIMILAR_INDEX_DIR, kind=VectorIndex)
    french = second_publisher(
        claimReviewed="La Russie a ordonné aux troupes proches de la frontière ukrainienne de "
        "regagner leurs bases",
    )
    french["inLanguage"] = "fr"
    unrelated = review(
        url="https://example.org/eiffel", claimReviewed="The Eiffel Tower was sold in 1925"
    )

    run = run_import(feed(french, unrelated))

    assert run.created == 2
    [found] = run.duplicates
    assert found["text"].startswith("La Russie a ordonné")
    assert [(s["claim"], s["match"]) for s in found["similar"]] == [(str(ours.pk), "meaning")]
    assert Import.objects.get(pk=run.pk).duplicates == run.duplicates  # kept with the report
