"""The claims' index on disk: a real tantivy index in a temporary directory."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from search.index import (
    ClaimDocument,
    ClaimIndex,
    Filters,
    Hits,
    IndexBusyError,
    IndexUnavailableError,
    Position,
)
from tests.processes import BASE_DIR

CLAIMS = [
    ClaimDocument(
        id="withdrawal",
        language="en",
        text="Russia has ordered troops near Ukraine's border back to their bases.",
        summary="Kremlin statement after the exercises.",
        claimant="Dmitry Peskov",
        status="unverified",
        tags=["russia", "troops"],
        claimant_id="peskov",
        created_at=datetime(2022, 2, 15, 9, tzinfo=UTC),
        updated_at=datetime(2022, 2, 15, 9, tzinfo=UTC),
    ),
    ClaimDocument(
        id="context",
        language="en",
        text="NATO has seen no sign of de-escalation on the ground.",
        summary="Stoltenberg: the troops are still there.",
        quotes=["We have not seen any withdrawal of troops."],
        sources=["Jens Stoltenberg"],
        status="in_review",
        tags=["nato"],
        assignee="rita",
        updated_at=datetime(2022, 2, 16, 12, tzinfo=UTC),
    ),
    ClaimDocument(
        id="mentioned",
        language="en",
        text="Satellite images show new field hospitals.",
        quotes=["The troops have not moved, the images show."],
        status="false",
        tags=["troops", "satellite"],
        updated_at=datetime(2022, 2, 17, tzinfo=UTC),
    ),
    ClaimDocument(
        id="ru",
        language="ru",
        text="Войска Южного военного округа возвращаются в пункты постоянной дислокации.",
        claimant="Интерфакс",
        status="verified",
        tags=["russia"],
    ),
    ClaimDocument(
        id="uk",
        language="uk",
        text="Ми повіримо у відведення військ, коли побачимо його.",
        claimant="Дмитро Кулеба",
        status="in_review",
    ),
    ClaimDocument(
        id="fr",
        language="fr",
        text="Les armées russes quittent la frontière ukrainienne.",
        status="unverified",
    ),
    ClaimDocument(
        id="de", language="de-AT", text="Die Truppen kehren in die Kasernen zurück.", status="false"
    ),
]


@pytest.fixture
def index(tmp_path: Path) -> Iterator[ClaimIndex]:
    written = ClaimIndex(tmp_path / "index", writable=True)
    written.put(CLAIMS)
    written.commit(Position(1, 1))
    yield written


def found(index: ClaimIndex, q: str, **filters: object) -> list[str]:
    return index.search(q, filters=Filters(**filters)).ids  # type: ignore[arg-type]


def test_the_claim_text_weighs_more_than_its_summary_and_quotes(index: ClaimIndex) -> None:
    assert found(index, "troops") == ["withdrawal", "context", "mentioned"]


@pytest.mark.parametrize(
    ("q", "claim"),
    [
        ("troop", "withdrawal"),  # English: troops
        ("войсками", "ru"),  # Russian: войска
        ("військами", "uk"),  # Ukrainian (lemmas): військ
        ("armée", "fr"),  # French: armées
        ("Truppe", "de"),  # German (de-AT): Truppen
    ],
)
def test_words_are_found_in_other_forms_of_the_claims_language(
    index: ClaimIndex, q: str, claim: str
) -> None:
    assert claim in found(index, q)


def test_a_word_in_another_language_matches_word_for_word(index: ClaimIndex) -> None:
    assert found(index, "Войска") == ["ru"]
    assert found(index, "Stoltenberg") == ["context"]  # a source's name, unstemmed
    assert found(index, "frontiere") == ["fr"]  # accents folded: frontière


def test_words_of_another_script_than_the_claims_language_are_found(tmp_path: Path) -> None:
    written = ClaimIndex(tmp_path / "index", writable=True)
    written.put(
        [
            ClaimDocument(id="en", language="en", text="Зеленский says the talks failed."),
            ClaimDocument(id="ru", language="ru", text="В НАТО заявили о выводе войск из Narva."),
            ClaimDocument(id="mixed", language="fr", text="Navalny et Навальный: les troupes."),
        ]
    )
    written.commit(Position(1, 1))

    assert found(written, "Зеленский") == ["en"]
    assert found(written, "narva") == ["ru"]
    assert found(written, "войска") == ["ru"]  # stemmed in the claim's language
    assert found(written, "Навальный troupe") == ["mixed"]  # a script each, both stemmed
    assert found(written, '"Navalny et Навальный"') == ["mixed"]


def test_a_reader_sees_each_commit_of_the_writer_in_another_process(
    index: ClaimIndex, tmp_path: Path
) -> None:
    reader = ClaimIndex(tmp_path / "index")
    assert found(reader, "tanks") == []
    index.close()  # the writer is another process from here
    script = (
        "import sys; from search.index import ClaimDocument, ClaimIndex, Position\n"
        "writer = ClaimIndex(sys.argv[1], writable=True)\n"
        "writer.put([ClaimDocument(id=sys.argv[2], language='en', text='Tanks ' + sys.argv[2])])\n"
        "writer.commit(Position(9, int(sys.argv[3])))\n"
    )
    for number, name in enumerate(["first", "second"], start=2):
        subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / "index"), name, str(number)],
            cwd=BASE_DIR,
            timeout=60,
            check=True,
        )
        assert name in found(reader, "tanks")  # at once, with no reopening
        assert found(reader, "tanks") == found(reader, "tanks")  # and read again as it is
    assert sorted(found(reader, "tanks")) == ["first", "second"]


def test_web_search_syntax(index: ClaimIndex) -> None:
    assert found(index, "troops border") == ["withdrawal"]  # every word
    assert found(index, '"back to their bases"') == ["withdrawal"]
    assert found(index, '"bases back"') == []  # a phrase keeps its order
    assert set(found(index, "hospitals or kasernen")) == {"mentioned", "de"}
    assert found(index, "troops -border") == ["context", "mentioned"]


@pytest.mark.parametrize(
    "q",
    [
        'troops "border',
        "AND",
        "status:false troops",
        "10:30 (",
        "https://example.org/a?b=c",
        "'; DROP TABLE claims; --",
        "\x00\u202e*^~[]{}",
        "",
        "   ",
        "-",
    ],
)
def test_nothing_a_user_types_is_query_syntax_or_an_error(index: ClaimIndex, q: str) -> None:
    hits = index.search(q)
    assert hits.total == len(hits.ids)
    assert found(index, "status:false troops") == []  # "status" is a word, not a field


def test_filters_apply_inside_the_index_with_an_exact_total(index: ClaimIndex) -> None:
    assert found(index, "troops", statuses=["false", "in_review"]) == ["context", "mentioned"]
    assert found(index, "troops", tags=["troops", "satellite"]) == ["mentioned"]
    assert found(index, "troops", claimant_id="peskov") == ["withdrawal"]
    assert found(index, "troops", assignee="rita") == ["context"]
    assert found(index, "troops", language="en") == ["withdrawal", "context", "mentioned"]
    assert found(index, "troops", updated_since=datetime(2022, 2, 16, 12, tzinfo=UTC)) == [
        "context",
        "mentioned",
    ]
    assert found(index, "troops", created_after=datetime(2022, 2, 15, 9, tzinfo=UTC)) == [
        "withdrawal"
    ]
    assert found(index, "troops", created_before=datetime(2022, 2, 15, 9, tzinfo=UTC)) == []
    page = index.search("troops", limit=1, offset=1)
    assert (page.ids, page.total) == (["context"], 3)
    assert index.search("troops", limit=0) == Hits([], 3)  # a count alone


def test_a_claim_is_replaced_and_removed_by_id(index: ClaimIndex) -> None:
    edited = ClaimDocument(id="fr", language="fr", text="Les chars restent.", status="false")
    index.put([edited, edited])  # twice, as a replayed change would
    index.commit(Position(2, 5))
    assert (found(index, "armée"), found(index, "chars")) == ([], ["fr"])
    assert index.count() == len(CLAIMS)
    index.remove(["fr"])
    index.commit(Position(2, 6))
    assert (found(index, "chars"), index.count()) == ([], len(CLAIMS) - 1)


def test_the_position_is_kept_with_the_index(index: ClaimIndex, tmp_path: Path) -> None:
    assert index.position() == Position(1, 1)
    index.commit(Position(7, 3))
    assert ClaimIndex(tmp_path / "index").position() == Position(7, 3)
    assert ClaimIndex(tmp_path / "empty").position() == Position()


class DamagedAfterCommit:
    """Tantivy's writer, with ``meta.json`` broken just after each commit wrote it, as a
    failing disk or a stray process would break it."""

    def __init__(self, writer: Any, directory: Path) -> None:
        self.writer, self.directory = writer, directory

    def commit(self) -> None:
        self.writer.commit()
        (self.directory / "meta.json").write_text("")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.writer, name)


def test_damage_right_after_a_commit_is_left_to_the_check_not_raised(
    index: ClaimIndex, tmp_path: Path
) -> None:
    index._writer = DamagedAfterCommit(index._writer, index.path)
    index.put(CLAIMS[:1])
    index.commit(Position(2, 1))  # the indexer goes on; its check finds the damage

    assert index.position() == Position(2, 1)
    with pytest.raises(IndexUnavailableError, match="is damaged"):
        ClaimIndex.built(tmp_path / "index")


def test_a_second_writer_is_refused_in_this_process_and_another(
    index: ClaimIndex, tmp_path: Path
) -> None:
    with pytest.raises(IndexBusyError, match="one writer per index directory"):
        ClaimIndex(tmp_path / "index", writable=True)
    script = (
        "import sys; from search.index import ClaimIndex, IndexBusyError\n"
        "try: ClaimIndex(sys.argv[1], writable=True)\n"
        "except IndexBusyError as error: print(error); sys.exit(3)\n"
    )
    other = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "index")],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert other.returncode == 3, other.stderr
    assert "Another process is writing the search index" in other.stdout
    assert ClaimIndex(tmp_path / "index").search("troops").total == 3  # readers are welcome
