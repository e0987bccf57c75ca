"""Has this been checked before? The claims most like a text, layer by layer (matching.layers).

``claims_similar`` gathers candidates three ways, then scores and keeps those a layer matches:

- the same text: PostgreSQL's index of claims' text keys (``claim_text_key``);
- near-identical wording: the claims sharing most words with the text in the search index
  (BM25; PostgreSQL full-text while the index is unavailable), scored by trigram similarity;
- the same meaning, in any language: the nearest claims to the text's embedding in the
  similar-claim index (matching.vectors), scored by cosine.

The candidates' rows come from PostgreSQL, within the scope asked for. Suggestions only: a
person decides what is a duplicate.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import F, Value
from django.utils import timezone

from claims.models import LANGUAGE_CODE, Claim, claim_text_key
from claims.search import claim_fulltext
from interchange.models import Review
from matching.layers import LAYERS, REASONS, embeddings, text_key, trigrams, wording_similarity
from search.backends import index_in_use
from search.index import QUERY_MAX_WORDS, GenerationReader, IndexUnavailableError

logger = logging.getLogger(__name__)

# How many candidates each layer brings: the best are scored, the rest never seen. The
# claims sharing most words: near-identical wording ranks first among them (at a million
# claims, reading each candidate's row was most of a lookup, bench/). The nearest in meaning:
# only those at the threshold are read.
CANDIDATES = 50
WORD_CANDIDATES = 20
LIMIT_MAX = 50
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Scope:
    """Which claims are suggested (Meedan Check's options): the organisation's own claims
    only, or also the fact checks imported from other publishers; only those recorded in the
    last ``since_days``; only scores of at least ``min_score`` (above each layer's
    threshold); at most ``limit``; never ``exclude`` (the claim itself)."""

    external: bool = True
    since_days: int | None = None
    min_score: float = 0.0
    limit: int = 10
    exclude: str = ""


@dataclass(frozen=True)
class Suggestion:
    claim: dict[str, Any]  # id, text, language, status, created_at, reviews
    layer: str  # the best layer that matched: "text", "wording" or "meaning"
    score: float  # that layer's
    scores: dict[str, float] = field(default_factory=dict)  # every layer's that was computed

    @property
    def reason(self) -> str:
        reason = REASONS[self.layer]
        if self.layer == "meaning" and self.claim.get("language_differs"):
            reason += " in another language"
        return reason


@dataclass(frozen=True)
class Similar:
    suggestions: list[Suggestion]
    unavailable: dict[str, str]  # layer -> why it was not consulted


_vectors: GenerationReader | None = None


def _vector_index() -> Any:
    """This host's similar-claim index; ``IndexUnavailableError`` if none."""
    from matching.vectors import VectorIndex

    global _vectors
    if _vectors is None or _vectors.root != Path(settings.SIMILAR_INDEX_DIR):
        _vectors = GenerationReader(settings.SIMILAR_INDEX_DIR, kind=VectorIndex)
    return _vectors.get()


def similar_health() -> str:
    """ "ok" when the similar-claim index answers, else a warning saying why (the other layers
    answer meanwhile)."""
    try:
        _vector_index()
    except IndexUnavailableError as error:
        return f"warning: {error}; similar claims are matched by their words until it is built"
    return "ok"


def claims_similar(
    text: str, *, language: str = "", scope: Scope = Scope(), vector: Any = None
) -> Similar:
    """The claims most like ``text`` (written in ``language``), best layer first, then best
    score; at most ``scope.limit``. ``vector``: the text's embedding, when known."""
    unavailable: dict[str, str] = {}
    candidates: dict[str, dict[str, float]] = {}
    key = text_key(text)  # "" for only quotes and punctuation: no text to be the same
    same = (
        Claim.objects.alias(key=claim_text_key(F("text")))
        .filter(key=claim_text_key(Value(text)))
        .values_list("id", flat=True)[:CANDIDATES]
        if key
        else []
    )
    for claim_id in [*map(str, same), *_worded_like(text, language)]:
        candidates.setdefault(claim_id, {})
    try:
        reader = _vector_index()
        vector = embeddings([text])[0] if vector is None else vector
        nearest = reader.nearest(vector, CANDIDATES)
    except IndexUnavailableError as error:
        unavailable["meaning"] = str(error)
        nearest = []
    floor = max(settings.SIMILAR_THRESHOLDS["meaning"], scope.min_score)
    for near, score in nearest:
        if score >= floor:
            candidates.setdefault(near, {})["meaning"] = score
    candidates.pop(scope.exclude, None)

    claims = Claim.objects.filter(pk__in=list(candidates), merged_into__isnull=True)
    if scope.since_days is not None:
        claims = claims.filter(created_at__gte=timezone.now() - timedelta(days=scope.since_days))
    if not scope.external:
        claims = claims.filter(imported__isnull=True)
    rows: dict[str, dict[str, Any]] = {
        str(row["id"]): dict(row)
        for row in claims.order_by().values("id", "text", "language", "status", "created_at")
    }
    grams = trigrams(text)
    thresholds = {"text": 1.0, **settings.SIMILAR_THRESHOLDS}
    suggestions = []
    for found_id, row in rows.items():
        scores = candidates[found_id]
        scores["text"] = float(bool(key) and text_key(row["text"]) == key)
        scores["wording"] = round(wording_similarity(grams, trigrams(row["text"])), 4)
        if "meaning" in scores:
            scores["meaning"] = round(scores["meaning"], 4)
        matched = [
            layer
            for layer in LAYERS
            if layer in scores and scores[layer] >= max(thresholds[layer], scope.min_score)
        ]
        if matched:
            row["language_differs"] = bool(language) and _base(row["language"]) != _base(language)
            suggestions.append(Suggestion(row, matched[0], scores[matched[0]], scores))
    suggestions.sort(key=lambda found: (LAYERS.index(found.layer), -found.score))
    suggestions = suggestions[: scope.limit]
    reviews: dict[str, list[dict[str, Any]]] = {}
    for review in Review.objects.filter(
        claim_id__in=[found.claim["id"] for found in suggestions]
    ).values("claim_id", "publisher_name", "publisher_site", "rating_label", "url"):
        of = str(review["claim_id"])
        reviews.setdefault(of, []).append({k: v for k, v in review.items() if k != "claim_id"})
    for found in suggestions:
        found.claim["reviews"] = reviews.get(str(found.claim["id"]), [])
    return Similar(suggestions, unavailable)


def _base(language: str) -> str:
    return (language or "").lower().split("-")[0]


def _worded_like(text: str, language: str) -> list[str]:
    """The claims sharing most words with ``text``: the search index's best, else PostgreSQL's."""
    if settings.SEARCH_BACKEND == "index":
        try:
            return index_in_use().similar(text, limit=WORD_CANDIDATES)
        except IndexUnavailableError:
            pass  # the search says so in the logs and /readyz
    words = " or ".join(list(dict.fromkeys(_WORD.findall(text.lower())))[:QUERY_MAX_WORDS])
    if not words:  # punctuation, emoji: no word to look for
        return []
    matches = claim_fulltext(Claim.objects.all(), q=words, language=language or None)
    best = matches.order_by(F("rank").desc()).values_list("id", flat=True)[:WORD_CANDIDATES]
    return [str(pk) for pk in best]


# Every two-letter language code (ISO 639-1). Three-letter codes (ISO 639-2 and 639-3, some
# 7,900) are too many to list: a well-formed one is taken.
ISO_639_1 = frozenset({
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be",
    "bg", "bh", "bi", "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs",
    "cu", "cv", "cy", "da", "de", "dv", "dz", "ee", "el", "en", "eo", "es", "et", "eu",
    "fa", "ff", "fi", "fj", "fo", "fr", "fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha",
    "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz", "ia", "id", "ie", "ig", "ii", "ik",
    "io", "is", "it", "iu", "ja", "jv", "ka", "kg", "ki", "kj", "kk", "kl", "km", "kn",
    "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln", "lo", "lt",
    "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb",
    "nd", "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os",
    "pa", "pi", "pl", "ps", "pt", "qu", "rm", "rn", "ro", "ru", "rw", "sa", "sc", "sd",
    "se", "sg", "si", "sk", "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv",
    "sw", "ta", "te", "tg", "th", "ti", "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw",
    "ty", "ug", "uk", "ur", "uz", "ve", "vi", "vo", "wa", "wo", "xh", "yi", "yo", "za",
    "zh", "zu",
})  # fmt: skip


def known_language(code: str) -> None:
    """A validator: ``code`` is written as a claim's language is (``LANGUAGE_CODE``: "zh",
    "pt-BR", "fil") and, when of two letters, is one of ISO 639-1's."""
    from django.core.exceptions import ValidationError

    LANGUAGE_CODE(code)
    if len(base := _base(code)) == 2 and base not in ISO_639_1:
        raise ValidationError(
            f"Unknown language {code!r}: give an ISO 639 code such as en, ru or uk.",
            code="unknown_language",
        )


# An import's new claims checked for duplicates, and the suggestions kept for each.
IMPORT_CHECKED = 500
IMPORT_SUGGESTIONS = 3


def import_duplicates(*, created: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """The claims an import created (id, text, language: the first ``IMPORT_CHECKED``) that
    look like other claims, each with its best suggestions."""
    found = []
    for claim_id, text, language in created[:IMPORT_CHECKED]:
        similar = claims_similar(
            text, language=language, scope=Scope(limit=IMPORT_SUGGESTIONS, exclude=claim_id)
        )
        if similar.suggestions:
            found.append(
                {
                    "claim": claim_id,
                    "text": text,
                    "similar": [
                        {
                            "claim": str(each.claim["id"]),
                            "text": each.claim["text"],
                            "status": each.claim["status"],
                            "match": each.layer,
                            "reason": each.reason,
                            "score": each.score,
                        }
                        for each in similar.suggestions
                    ],
                }
            )
    return found
