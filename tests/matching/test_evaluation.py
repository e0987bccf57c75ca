"""The labelled set, the thresholds chosen from it, and the layers' agreement with PostgreSQL."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from matching.evaluation import SET, pairs_scored, threshold_chosen
from matching.layers import text_key, trigrams, wording_similarity

REPORT = Path(SET).parent / "report.txt"


@pytest.fixture(scope="module")
def pairs() -> list:
    return pairs_scored()


def test_the_thresholds_in_use_are_those_the_labelled_set_chooses(pairs: list) -> None:
    chosen = {layer: threshold_chosen(pairs, layer) for layer in settings.SIMILAR_THRESHOLDS}
    assert chosen == settings.SIMILAR_THRESHOLDS


def test_make_eval_similar_reproduces_the_committed_report() -> None:
    out = StringIO()
    call_command("similar_eval", stdout=out)
    printed = out.getvalue()
    assert printed.split("\n\n", 1)[1].strip() == REPORT.read_text().strip()


def test_the_set_covers_every_language_pair_asked_for() -> None:
    clusters = json.loads(SET.read_text())["clusters"]
    languages = {variant["lang"] for cluster in clusters for variant in cluster["variants"]}
    assert languages == {"en", "ru", "uk", "fr", "de", "ar"}
    topics = [cluster["topic"] for cluster in clusters]
    assert any(topics.count(topic) >= 3 for topic in topics)  # hard cases: same topic


@pytest.mark.django_db
@pytest.mark.parametrize(
    "texts",
    [
        ("“Russia ordered troops back.”", "russia ordered troops back"),
        ("It’s over!", "it's over"),
        ("«Войска вернулись»", "войска вернулись…"),
        ("Troops", "Troop"),
    ],
)
def test_the_same_text_is_the_same_key_in_python_and_postgresql(texts: tuple[str, str]) -> None:
    from django.db.models import F, Value

    from claims.models import Claim, claim_text_key
    from tests import factories as f

    f.claim(text=texts[0])
    in_postgresql = (
        Claim.objects.alias(key=claim_text_key(F("text")))
        .filter(key=claim_text_key(Value(texts[1])))
        .exists()
    )
    assert (text_key(texts[0]) == text_key(texts[1])) == in_postgresql


def test_wording_similarity_is_pg_trgms_and_counts_every_script() -> None:
    assert wording_similarity(trigrams("word"), trigrams("word")) == 1.0
    # PostgreSQL: SELECT similarity('word', 'two words') = 0.36363637
    assert wording_similarity(trigrams("word"), trigrams("two words")) == pytest.approx(4 / 11)
    assert wording_similarity(trigrams("Войска"), trigrams("войска!")) == 1.0
    assert wording_similarity(trigrams("القوات"), trigrams("قوات")) > 0.3
    assert wording_similarity(trigrams(""), trigrams("")) == 0.0
