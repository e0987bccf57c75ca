"""The measure of similar-claim matching: precision and recall of each layer, and of the
layers together, over the labelled set in matching/evaluation/claims.json (``make
eval-similar``).

Every pair of the set's claims is scored by every layer. A pair of variants of one cluster
should match (a duplicate); a pair from two clusters should not (on the same topic: a hard
case, "troops returned to bases" and "troops massed at the border"). A layer's threshold is
the lowest at which its precision is at least ``PRECISION_TARGET`` (a suggestion should be
worth a reviewer's look); the thresholds the product uses are these, in SIMILAR_THRESHOLDS.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from matching.layers import embeddings, text_key, trigrams, wording_similarity

SET = Path(__file__).parent / "evaluation" / "claims.json"
PRECISION_TARGET = 0.9


@dataclass(frozen=True)
class Pair:
    a: int
    b: int
    duplicate: bool
    languages: str  # "en-ru", in alphabetical order
    kind: str  # the variant's kind for duplicates, else "same topic" or "unrelated"
    scores: dict[str, float]


@dataclass(frozen=True)
class Counts:
    pairs: int = 0
    duplicates: int = 0
    found: int = 0  # duplicates matched
    wrong: int = 0  # matched, not duplicates

    @property
    def precision(self) -> float | None:
        matched = self.found + self.wrong
        return self.found / matched if matched else None

    @property
    def recall(self) -> float | None:
        return self.found / self.duplicates if self.duplicates else None


def pairs_scored(path: Path = SET) -> list[Pair]:
    """Every pair of the set's claims, with each layer's score."""
    clusters = json.loads(path.read_text())["clusters"]
    claims = [
        (cluster["id"], cluster["topic"], variant)
        for cluster in clusters
        for variant in cluster["variants"]
    ]
    texts = [variant["text"] for _, _, variant in claims]
    vectors = embeddings(texts)
    grams = [trigrams(text) for text in texts]
    keys = [text_key(text) for text in texts]
    pairs = []
    for i, j in itertools.combinations(range(len(claims)), 2):
        (cluster_a, topic_a, a), (cluster_b, topic_b, b) = claims[i], claims[j]
        duplicate = cluster_a == cluster_b
        if duplicate:
            kind = b["kind"] if a["kind"] == "original" else f"{a['kind']}/{b['kind']}"
        else:
            kind = "same topic" if topic_a == topic_b else "unrelated"
        pairs.append(
            Pair(
                a=i,
                b=j,
                duplicate=duplicate,
                languages="-".join(sorted((a["lang"], b["lang"]))),
                kind=kind,
                scores={
                    "text": float(keys[i] == keys[j]),
                    "wording": wording_similarity(grams[i], grams[j]),
                    "meaning": float(vectors[i] @ vectors[j]),
                },
            )
        )
    return pairs


def counted(pairs: Iterable[Pair], matched: Callable[[Pair], bool]) -> Counts:
    pairs_, duplicates, found, wrong = 0, 0, 0, 0
    for pair in pairs:
        pairs_ += 1
        duplicates += pair.duplicate
        if matched(pair):
            found += pair.duplicate
            wrong += not pair.duplicate
    return Counts(pairs_, duplicates, found, wrong)


def threshold_chosen(pairs: list[Pair], layer: str) -> float:
    """The lowest score (to two decimals) at which ``layer``'s precision reaches the target."""

    def at_least(threshold: float) -> Callable[[Pair], bool]:
        return lambda pair: pair.scores[layer] >= threshold

    for step in range(0, 101):
        counts = counted(pairs, at_least(step / 100))
        if counts.precision is not None and counts.precision >= PRECISION_TARGET:
            return step / 100
    return 1.0


def report(pairs: list[Pair], thresholds: dict[str, float]) -> str:
    """The evaluation as text: each layer at its threshold, then the layers together by
    language pair and by kind of pair."""

    def matched_by(layers: Iterable[str]) -> Callable[[Pair], bool]:
        chosen = list(layers)
        return lambda pair: any(pair.scores[layer] >= thresholds[layer] for layer in chosen)

    def row(label: str, counts: Counts) -> str:
        precision = "-" if counts.precision is None else f"{counts.precision:.2f}"
        recall = "-" if counts.recall is None else f"{counts.recall:.2f}"
        return (
            f"{label:<22} {counts.pairs:>6} {counts.duplicates:>6} {counts.found:>6} "
            f"{counts.wrong:>6} {precision:>9} {recall:>6}"
        )

    names = ("pairs", "dupl.", "found", "wrong")
    header = f"{'':<22} " + " ".join(f"{name:>6}" for name in names) + " precision recall"
    lines = [
        f"{len(pairs):,} pairs of claims, {sum(p.duplicate for p in pairs):,} of them duplicates.",
        "",
        "By layer (threshold):",
        header,
    ]
    for layer in thresholds:
        lines.append(row(f"{layer} ({thresholds[layer]:.2f})", counted(pairs, matched_by([layer]))))
    everything = matched_by(thresholds)
    lines.append(row("any layer", counted(pairs, everything)))
    for title, attribute in (("By language pair", "languages"), ("By kind of pair", "kind")):
        lines += ["", f"{title}, any layer:", header]
        groups: dict[str, list[Pair]] = defaultdict(list)
        for pair in pairs:
            groups[getattr(pair, attribute)].append(pair)
        for name in sorted(groups):
            lines.append(row(name, counted(groups[name], everything)))
    return "\n".join(lines) + "\n"
