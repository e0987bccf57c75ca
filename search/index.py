"""The claims' full-text index on disk (tantivy): documents in, ids and an exact total out.

The index is derived data: PostgreSQL holds the truth, the index holds what a query needs to
find claims (their words, and the fields a search filters on) and returns ids; the rows always
come from PostgreSQL. ``ClaimIndex`` is the one class that knows tantivy (the sink).

Words: every claim's text, summary, claimant, statement quotes and statement sources are
indexed word for word (lower case, accents folded: "Kýiv" finds "Kyiv") for every claim, and
the text, summary and quotes also stemmed in the claim's language: tantivy's Snowball
stemmers (English, Russian, French, German and 14 more), Ukrainian by simplemma's lemmas
(tantivy has no Ukrainian stemmer). A query is matched against all of them, so "troop" finds
"troops" in an English claim and a word in another language still matches exactly.

Relevance is BM25, the claim text weighing most, then summary and claimant, then statement
quotes and source names. Queries follow PostgreSQL's ``websearch_to_tsquery`` (the fallback):
every word must match, ``"a phrase"``, ``or`` between words, ``-word`` to exclude; nothing a
user types is read as query syntax (no ``field:``, no ranges). Filters (status, tags,
claimant, assignee, language, dates) are applied inside the index, and the total is exact.

One process writes an index directory (tantivy locks it: a second writer is refused with
``IndexBusyError``); any number of processes read it.

A host's index lives in generations under ``SEARCH_INDEX_DIR``: ``current`` is a link to the
one in use; a rebuild writes a new generation beside it and swaps the link atomically
(``generation_swap``), the indexer and readers follow it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import simplemma
import tantivy
from tantivy import Filter, Occur, Query, TextAnalyzerBuilder, Tokenizer

# The parts of a claim that are searched, and their weights.
WEIGHTS = {"text": 4.0, "summary": 2.0, "claimant": 2.0, "quotes": 1.0, "sources": 1.0}
STEMMED_PARTS = ("text", "summary", "quotes")
# tantivy's Snowball stemmers, by ISO 639-1 code.
STEMMERS = {
    "ar": "arabic", "da": "danish", "de": "german", "el": "greek", "en": "english",
    "es": "spanish", "fi": "finnish", "fr": "french", "hu": "hungarian", "it": "italian",
    "nl": "dutch", "no": "norwegian", "pt": "portuguese", "ro": "romanian", "ru": "russian",
    "sv": "swedish", "ta": "tamil", "tr": "turkish",
}  # fmt: skip
# The script of the languages stemmed here not written in Latin letters.
SCRIPTS = {"ar": "ARABIC", "el": "GREEK", "ru": "CYRILLIC", "ta": "TAMIL", "uk": "CYRILLIC"}
# Languages stemmed here, before tantivy: their words are replaced by their lemmas.
LEMMATISED = ("uk",)
LANGUAGES = (*STEMMERS, *LEMMATISED)
WORD_MAX_LENGTH = 40  # longer "words" (a hash, a URL's path) are not indexed
# A search's words: each is looked up in every part and language, so a query's cost grows
# with them (32 words: about 20 ms on one core, bench/README.md).
QUERY_MAX_WORDS = 32
WRITER_HEAP_BYTES = 64_000_000
# What the documents hold and how: an index written with another is rebuilt, not read.
SCHEMA_VERSION = 3
_POSITION_FILE = "position.json"
_CURRENT = "current"
_KEEP_OLD_GENERATIONS = 1  # kept after a swap, for processes that still read it
_WORD = re.compile(r"\w+")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class IndexBusyError(RuntimeError):
    """Another writer holds the index directory."""


class IndexUnavailableError(RuntimeError):
    """There is no usable index: missing, never built, damaged or of another schema."""


@dataclass(frozen=True)
class ClaimDocument:
    """What the index holds of a claim (built from PostgreSQL by search.documents)."""

    id: str
    language: str
    text: str
    version: int = 0  # the claim's, to tell a document out of date (search_check)
    summary: str = ""
    claimant: str = ""
    quotes: Sequence[str] = ()
    sources: Sequence[str] = ()
    status: str = ""
    tags: Sequence[str] = ()
    claimant_id: str = ""
    assignee: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    first_seen_at: datetime | None = None  # else when recorded, as the API orders claims
    public_from: datetime | None = None  # published (and not withdrawn): public from then
    public_verdict: str = ""  # the verdict as published


@dataclass(frozen=True)
class Filters:
    """Exact filters applied inside the index (empty: not filtered), as the API's."""

    statuses: Sequence[str] = ()
    tags: Sequence[str] = ()  # every one of them
    claimant_id: str = ""
    assignee: str = ""
    language: str = ""
    updated_since: datetime | None = None  # at or after
    created_after: datetime | None = None  # at or after
    created_before: datetime | None = None  # before
    public_at: datetime | None = None  # only the claims public at that moment
    public_verdicts: Sequence[str] = ()  # only fact checks published with these verdicts


@dataclass(frozen=True)
class Hits:
    ids: list[str]
    total: int
    versions: list[int] = field(default_factory=list)  # of each claim as indexed


# The orders a search can have besides relevance: the dates the index holds.
ORDER_FIELDS = ("updated_at", "created_at", "first_seen_at")


@dataclass(frozen=True, order=True)
class Position:
    """Where in the change log an index stands: (transaction id, row id) of the last applied."""

    txid: int = 0
    row: int = 0


def generation_current(root: Path) -> Path:
    """The directory of the index in use under ``root`` (a first, empty one when none)."""
    link = Path(root) / _CURRENT
    if not link.exists():
        generation_swap(root, generation_new(root))
    return link.resolve()


def generation_open(root: Path, *, writable: bool = False, kind: Any = None) -> Any:
    """The index in use under ``root`` (a ``kind`` of index: a ``ClaimIndex`` unless said);
    ``IndexUnavailableError`` says why there is none."""
    kind = kind or ClaimIndex
    link = Path(root) / _CURRENT
    if not link.exists():
        raise IndexUnavailableError(f"there is no {kind.NAME} in {root}")
    return kind.built(link.resolve(), writable=writable)


class GenerationReader:
    """The index in use under ``root`` (a ``kind`` of index), opened once per process and
    again when a rebuild swaps another in: what searches read."""

    def __init__(self, root: Path, kind: Any = None) -> None:
        self.root = Path(root)
        self.kind = kind
        self._index: Any = None

    def get(self) -> Any:
        """The index in use; ``IndexUnavailableError`` if none."""
        current = (self.root / _CURRENT).resolve()
        if self._index is None or self._index.path != current:
            self._index = generation_open(self.root, kind=self.kind)
        return self._index

    def forget(self) -> None:
        """Open it again on the next ``get`` (after it failed)."""
        self._index = None


def generation_new(root: Path) -> Path:
    """A new, empty generation's directory under ``root``."""
    directory = Path(root) / f"generation-{time.time_ns()}"
    directory.mkdir(parents=True)
    return directory


def generation_swap(root: Path, directory: Path) -> None:
    """Make ``directory`` the index in use, atomically; drop generations older than the one
    it replaces."""
    root = Path(root)
    temporary = root / f".{_CURRENT}.{os.getpid()}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(directory.name)
    temporary.replace(root / _CURRENT)
    older = sorted(path for path in root.glob("generation-*") if path.name < directory.name)
    for path in older[: max(len(older) - _KEEP_OLD_GENERATIONS, 0)]:
        shutil.rmtree(path, ignore_errors=True)


def query_problem(q: str) -> str:
    """Why ``q`` cannot be searched ("" when it can): the one rule the API and admin show."""
    if len(_WORD.findall(q)) > QUERY_MAX_WORDS:
        return f"Search with at most {QUERY_MAX_WORDS} words."
    return ""


def language_of(code: str) -> str:
    """The index's language of a claim's language code ("pt-BR" -> "pt"), or ""."""
    base = (code or "").strip().lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGES else ""


def _scripts(text: str) -> set[str]:
    """The scripts of the letters in ``text`` (LATIN, CYRILLIC, ...; Unicode's names)."""
    return {unicodedata.name(letter, "?").split()[0] for letter in text if letter.isalpha()}


def _microseconds(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def warm_up() -> None:
    """Load the lemmatisers' data now rather than on a process's first search (half a second):
    a web server does it before forking its workers, which then share it."""
    for code in LEMMATISED:
        simplemma.lemmatize("слово", lang=code)


def _lemmas(text: str, language: str) -> str:
    return " ".join(
        simplemma.lemmatize(word, lang=language).lower() for word in _WORD.findall(text.lower())
    )


def _analyzers() -> dict[str, Any]:
    def chain(tokenizer: Any, *filters: Any) -> Any:
        builder = TextAnalyzerBuilder(tokenizer)
        for step in (Filter.remove_long(WORD_MAX_LENGTH), Filter.lowercase(), *filters):
            builder = builder.filter(step)
        return builder.build()

    analyzers = {"words": chain(Tokenizer.simple(), Filter.ascii_fold())}
    for code, name in STEMMERS.items():
        stemmer = Filter.stemmer(name)
        analyzers[f"stem_{code}"] = chain(Tokenizer.simple(), stemmer, Filter.ascii_fold())
    for code in LEMMATISED:
        analyzers[f"stem_{code}"] = chain(Tokenizer.whitespace())
    return analyzers


def _schema() -> Any:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_unsigned_field("version", stored=True)
    for part in WEIGHTS:
        builder.add_text_field(f"words_{part}", tokenizer_name="words")
    for code in LANGUAGES:
        for part in STEMMED_PARTS:
            builder.add_text_field(f"stem_{code}_{part}", tokenizer_name=f"stem_{code}")
    for name in ("status", "tag", "claimant_id", "assignee", "language", "public_verdict"):
        builder.add_text_field(name, tokenizer_name="raw", index_option="basic")
    for name in (*ORDER_FIELDS, "public_from"):  # microseconds since 1970 (tantivy's dates
        builder.add_integer_field(name, indexed=True, fast=True)  # keep seconds only)
    return builder.build()


@dataclass
class ClaimIndex:
    """The index in ``path`` (created when missing); ``writable`` takes the directory's lock."""

    path: Path
    writable: bool = False
    # How often at most the indexer commits (makes changes searchable): a commit costs the
    # same for one change or a thousand (30 ms at a million claims, bench/).
    COMMIT_SECONDS: ClassVar[float] = 0.25
    NAME: ClassVar[str] = "search index"
    _index: Any = field(init=False, repr=False)
    _writer: Any = field(init=False, repr=False, default=None)
    _seen: Any = field(init=False, repr=False, default=None)  # meta.json when last reloaded

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.schema = _schema()
        self._index = tantivy.Index(self.schema, path=str(self.path))
        for name, analyzer in _analyzers().items():
            self._index.register_tokenizer(name, analyzer)
        if self.writable:
            try:
                self._writer = self._index.writer(WRITER_HEAP_BYTES, 1)
            except ValueError as error:
                if "LockBusy" not in str(error):
                    raise
                raise IndexBusyError(
                    f"Another process is writing the search index in {self.path}: one writer "
                    "per index directory. Stop it first, or give this one a directory of its own."
                ) from error

    @classmethod
    def built(cls, path: Path, *, writable: bool = False) -> ClaimIndex:
        """The index built in ``path`` by this version of the schema, or
        ``IndexUnavailableError`` saying why not (never built, damaged, another schema)."""
        try:
            stored = json.loads((Path(path) / _POSITION_FILE).read_text())
        except FileNotFoundError:
            raise IndexUnavailableError(f"the search index in {path} was never built") from None
        except (OSError, ValueError) as error:
            raise IndexUnavailableError(
                f"the search index in {path} is damaged: {error}"
            ) from error
        if not isinstance(stored, dict) or stored.get("schema") != SCHEMA_VERSION:
            raise IndexUnavailableError(
                f"the search index in {path} was built by another version (schema "
                f"{stored.get('schema', 1) if isinstance(stored, dict) else '?'}, this one "
                f"{SCHEMA_VERSION})"
            )
        try:
            return cls(path, writable=writable)
        except ValueError as error:  # tantivy's "Data corrupted", "Schema error", ...
            raise IndexUnavailableError(
                f"the search index in {path} is damaged: {error}"
            ) from error

    # --- Writing ---------------------------------------------------------------------------

    def put(self, documents: Iterable[ClaimDocument]) -> None:
        """Add or replace claims (by id); seen by searches after ``commit``."""
        for document in documents:
            self._writer.delete_documents_by_term("id", document.id)
            self._writer.add_document(self._document(document))

    def remove(self, ids: Iterable[str]) -> None:
        for claim_id in ids:
            self._writer.delete_documents_by_term("id", str(claim_id))

    def commit(self, position: Position) -> None:
        """Make the changes searchable, then remember ``position`` (replayed changes are
        harmless: a claim is replaced by its current state). It does not read the index back:
        searches reload when ``meta.json`` changes, and damage met there is the indexer's
        check to mend, not a crash of the writer."""
        try:
            self._writer.commit()
        except Exception:
            self._writer.rollback()  # a failed commit leaves the writer dropping what follows
            raise
        temporary = self.path / f".{_POSITION_FILE}.tmp"
        temporary.write_text(
            json.dumps({"txid": position.txid, "row": position.row, "schema": SCHEMA_VERSION})
        )
        temporary.replace(self.path / _POSITION_FILE)

    def close(self) -> None:
        """Give up writing (the directory's lock goes with the writer)."""
        self._writer = None

    def position(self) -> Position:
        try:
            stored = json.loads((self.path / _POSITION_FILE).read_text())
        except FileNotFoundError:
            return Position()
        return Position(int(stored["txid"]), int(stored["row"]))

    def _document(self, claim: ClaimDocument) -> Any:
        document = tantivy.Document()
        document.add_text("id", claim.id)
        document.add_unsigned("version", claim.version)
        parts = {
            "text": [claim.text],
            "summary": [claim.summary],
            "claimant": [claim.claimant],
            "quotes": list(claim.quotes),
            "sources": list(claim.sources),
        }
        language = language_of(claim.language)
        for part, texts in parts.items():
            for text in filter(None, texts):
                document.add_text(f"words_{part}", text)
                if language and part in STEMMED_PARTS:
                    stemmed = _lemmas(text, language) if language in LEMMATISED else text
                    document.add_text(f"stem_{language}_{part}", stemmed)
        for name, values in (
            ("status", [claim.status]),
            ("tag", claim.tags),
            ("claimant_id", [claim.claimant_id]),
            ("assignee", [claim.assignee]),
            ("language", [language]),
            ("public_verdict", [claim.public_verdict]),
        ):
            for value in filter(None, values):
                document.add_text(name, value)
        for name in (*ORDER_FIELDS, "public_from"):
            if (value := getattr(claim, name)) is not None:
                document.add_integer(name, _microseconds(value))
        return document

    # --- Searching -------------------------------------------------------------------------

    def search(
        self,
        q: str,
        *,
        filters: Filters = Filters(),
        limit: int = 50,
        offset: int = 0,
        order: str = "",
    ) -> Hits:
        """The ids of the best matches of ``q`` (``limit`` from ``offset``) and how many match.

        Best first, or by ``order``: a date of ``ORDER_FIELDS``, ``-`` in front for the
        latest first.
        """
        self._reload()
        searcher = self._index.searcher()
        # Stems of the languages the index holds: the others' fields are empty (and were a
        # third of a search's time at a million claims in five languages, bench/).
        held = [code for code in LANGUAGES if searcher.doc_freq("language", code)]
        query = self._query(q, held)
        if query is None:
            return Hits([], 0)
        clauses = [(Occur.Must, query), *self._filters(filters)]
        ordering: dict[str, Any] = {}
        if order:
            name = order.removeprefix("-")
            if name not in ORDER_FIELDS:
                raise ValueError(f"cannot order by {order!r}; use one of {ORDER_FIELDS}")
            descending = order.startswith("-")
            ordering = {
                "order_by_field": name,
                "order": tantivy.Order.Desc if descending else tantivy.Order.Asc,
            }
        found = searcher.search(  # tantivy panics on a limit of 0: count with 1, show none
            Query.boolean_query(clauses), max(limit, 1), count=True, offset=offset, **ordering
        )
        documents = [searcher.doc(address) for _, address in found.hits[: max(limit, 0)]]
        return Hits(
            [document["id"][0] for document in documents],
            found.count,
            [document["version"][0] for document in documents],
        )

    def similar(self, text: str, *, filters: Filters = Filters(), limit: int = 20) -> list[str]:
        """The ids of the claims whose text shares most words with ``text`` (any of its first
        ``QUERY_MAX_WORDS`` words, word for word), best first: candidates for near-identical
        wording (similar-claim matching; other wordings are the embeddings' to find)."""
        words = list(dict.fromkeys(_WORD.findall(text.lower())))[:QUERY_MAX_WORDS]
        if not words:
            return []
        self._reload()
        searcher = self._index.searcher()
        query = self._index.parse_query(" ".join(words), ["words_text"])
        found = searcher.search(
            Query.boolean_query([(Occur.Must, query), *self._filters(filters)]), max(limit, 1)
        )
        return [searcher.doc(address)["id"][0] for _, address in found.hits[:limit]]

    def versions(self) -> dict[str, int]:
        """Every claim in the index, with the version of the claim it was built from."""
        self._reload()
        searcher = self._index.searcher()
        everything = searcher.search(Query.all_query(), max(searcher.num_docs, 1))
        stored = (searcher.doc(address) for _, address in everything.hits)
        return {document["id"][0]: document["version"][0] for document in stored}

    def count(self) -> int:
        self._reload()
        return int(self._index.searcher().num_docs)

    def _reload(self) -> None:
        """See the writer's last commit (another process's), not a second late: every commit
        writes a new ``meta.json``, and reloading when it had not changed was a tenth of a
        search at a million claims (bench/)."""
        try:
            meta = (self.path / "meta.json").stat()
            stamp = (meta.st_ino, meta.st_mtime_ns, meta.st_size)
        except FileNotFoundError:
            stamp = None
        if stamp is None or stamp != self._seen:
            self._index.reload()
            self._seen = stamp

    def _query(self, q: str, languages: Sequence[str] = LANGUAGES) -> Any:
        """``websearch_to_tsquery``'s language: words all required, "phrases", or, -word;
        each word for word, and stemmed in ``languages``."""
        required: list[list[str]] = []
        excluded: list[str] = []
        joining = False
        for match in re.finditer(r'-?"[^"]*"?|\S+', q.replace("\x00", "")):
            token = match.group()
            if token.lower() == "or" and required:
                joining = True
                continue
            negated = token.startswith("-") and len(token) > 1
            words = " ".join(_WORD.findall(token))
            if not words:
                continue
            if negated:
                excluded.append(words)
            elif joining:
                required[-1].append(words)
            else:
                required.append([words])
            joining = False
        if not required:
            return None
        clauses = [
            (
                Occur.Must,
                Query.boolean_query([(Occur.Should, self._phrase(w, languages)) for w in group]),
            )
            for group in required
        ]
        clauses += [(Occur.MustNot, self._phrase(words, languages)) for words in excluded]
        return Query.boolean_query(clauses)

    def _phrase(self, words: str, languages: Sequence[str]) -> Any:
        """Words (one, or a phrase) in any part, word for word or stemmed in ``languages``
        (those written in the words' scripts: a stemmer leaves other scripts' words as they
        are, found word for word already, and looking them up in every language's fields was
        40% of a search's time at a million claims in five languages, bench/)."""
        scripts = _scripts(words)
        if scripts:
            languages = [code for code in languages if SCRIPTS.get(code, "LATIN") in scripts]
        fields = [f"words_{part}" for part in WEIGHTS]
        boosts = {f"words_{part}": weight for part, weight in WEIGHTS.items()}
        for code in (code for code in STEMMERS if code in languages):
            for part in STEMMED_PARTS:
                fields.append(f"stem_{code}_{part}")
                boosts[f"stem_{code}_{part}"] = WEIGHTS[part]
        alternatives = [(Occur.Should, self._index.parse_query(f'"{words}"', fields, boosts))]
        for code in (code for code in LEMMATISED if code in languages):
            lemmas = _lemmas(words, code)
            lemma_fields = [f"stem_{code}_{part}" for part in STEMMED_PARTS]
            lemma_boosts = {f"stem_{code}_{part}": WEIGHTS[part] for part in STEMMED_PARTS}
            query = self._index.parse_query(f'"{lemmas}"', lemma_fields, lemma_boosts)
            alternatives.append((Occur.Should, query))
        return Query.boolean_query(alternatives)

    def _filters(self, filters: Filters) -> list[tuple[Any, Any]]:
        schema = self.schema
        wanted = []
        if filters.statuses:
            wanted.append(Query.term_set_query(schema, "status", list(filters.statuses)))
        if filters.public_verdicts:
            verdicts = list(filters.public_verdicts)
            wanted.append(Query.term_set_query(schema, "public_verdict", verdicts))
        for tag in filters.tags:
            wanted.append(Query.term_query(schema, "tag", tag))
        for name in ("claimant_id", "assignee", "language"):
            if value := getattr(filters, name):
                wanted.append(Query.term_query(schema, name, value))
        for name, since, before in (
            ("updated_at", filters.updated_since, None),
            ("created_at", filters.created_after, filters.created_before),
        ):
            if since or before:
                lower = _microseconds(since) if since else None
                upper = _microseconds(before) if before else None
                wanted.append(
                    Query.range_query(
                        schema, name, tantivy.FieldType.Integer, lower, upper, True, upper is None
                    )  # "before": up to, not at
                )
        if filters.public_at:
            moment = _microseconds(filters.public_at)
            wanted.append(
                Query.range_query(
                    schema, "public_from", tantivy.FieldType.Integer, None, moment, True, True
                )
            )
        return [(Occur.Must, Query.const_score_query(query, 0.0)) for query in wanted]
