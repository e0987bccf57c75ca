"""A synthetic newsroom corpus, loaded into PostgreSQL with COPY.

Claims in five languages (text from a Zipf-distributed vocabulary, so that some words are
common and most are rare, as in real text), about 3 statements each, appearances, evidence,
tags, sources, a status history consistent with the workflow, and 10% of the claims
published as fact checks (on the default rating scale). Deterministic for a seed.

The load is built for speed: the secondary indexes of the loaded tables are dropped and built
again afterwards; claims and statements go through unlogged staging tables so that each
claim's search document is computed once, in the INSERT that writes it (no second pass over
the documents); user triggers (pghistory's edit history) are
off during the load, so the corpus has no edit-history events, only status history. Foreign
keys stay checked. ANALYZE at the end.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from claims.search import _DOCUMENT_SQL, SEARCH_CONFIGS, document_parts_sql
from publishing.defaults import DEFAULT_LABELS, DEFAULT_SCALE
from publishing.services import slug_for
from verification import workflow

# Languages and their share of the claims.
LANGUAGES = {"en": 0.55, "ru": 0.12, "uk": 0.13, "fr": 0.1, "de": 0.1}

# Real words first (the most frequent ranks of each vocabulary), then made-up ones.
_REAL_WORDS = {
    "en": "troops border withdrawal exercises russia ukraine nato kremlin sanctions gas pipeline "
    "minister ministry spokesperson election vaccine army drills president statement missile "
    "attack ceasefire refugees bridge satellite images report claims denied confirmed official "
    "military invasion diplomats talks embassy energy prices inflation grain ports convoy "
    "tanks artillery base bases crimea belarus moscow kyiv washington brussels",
    "ru": "войска граница отвод учения россия украина нато кремль санкции газ трубопровод "
    "министр министерство пресс-секретарь выборы вакцина армия президент заявление ракета "
    "удар перемирие беженцы мост спутник снимки доклад опроверг подтвердил официальный",
    "uk": "війська кордон відведення навчання росія україна нато кремль санкції газ "
    "міністр міністерство речник вибори вакцина армія президент заява ракета удар "
    "перемир'я біженці міст супутник знімки звіт спростував підтвердив офіційний",
    "fr": "troupes frontière retrait exercices russie ukraine otan kremlin sanctions gaz "
    "ministre ministère porte-parole élection vaccin armée président déclaration missile "
    "attaque cessez-le-feu réfugiés pont satellite images rapport démenti confirmé officiel",
    "de": "truppen grenze abzug übungen russland ukraine nato kreml sanktionen gas pipeline "
    "minister ministerium sprecher wahl impfstoff armee präsident erklärung rakete angriff "
    "waffenruhe flüchtlinge brücke satellit bilder bericht dementiert bestätigt offiziell",
}
_FUNCTION_WORDS = {
    "en": "the of and to in is that on for with was as by from at has have said will not",
    "ru": "и в не на что с по как из за от это был у о к же",
    "uk": "і в не на що з по як із за від це був у про до же",
    "fr": "le la les de et à en un une du des que qui dans pour sur pas est par",
    "de": "der die das und in zu den von mit ist nicht auf für sich dem des ein eine",
}
_SYLLABLES = {
    "en": "ka ro mi len tor va sen dal bri cor ne pha lu ger tin mon ves ari ol str",
    "ru": "ка ро ми лен тор ва сен дал бри кор не лу гер тин мон вес ари ол ско пра",
    "uk": "ка ро мі лен тор ва сен дал бри кор не лу гер тін мон вес арі ол ско пра",
    "fr": "ca ro mé len tor va sen dal bri cor ne lu ger tin mon vès ari ol pré eau",
    "de": "ka ro mi len tor wa sen dal bri kor ne lu ger tin mon wes ari ol sch ück",
}
VOCABULARY_SIZE = 4000
SENTENCE_POOL = 20_000  # distinct sentences per language; texts combine two of them
STATUS_WEIGHTS = {
    "unverified": 0.35,
    "in_review": 0.2,
    "verified": 0.1,
    "false": 0.15,
    "misleading": 0.12,
    "unproven": 0.08,
}
FIRST_NAMES = "Anna Dmytro Olena Sergei Marie Jean Klaus Petra John Sarah Ivan Oksana".split()
LAST_NAMES = "Kovalenko Ivanov Dubois Martin Schmidt Weber Smith Jones Petrov Shevchenko".split()
ROLES = ["spokesperson", "minister", "reporter", "analyst", "commander", "ambassador", ""]
SOURCE_KINDS = ["person", "organisation", "government", "news_outlet", "agency"]
OUTLETS = ["Interfax", "Reuters", "Kyiv Independent", "Le Monde", "Der Spiegel", "TASS", "BBC"]
SPAN_SECONDS = 3 * 365 * 24 * 3600
# The corpus's three years end a month before the day it is loaded (a claim's last change
# comes up to 30 days after its creation), so the dashboard's "last year" holds a year of it.
EPOCH = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
    seconds=SPAN_SECONDS, days=31
)

# Tables whose secondary indexes are dropped during the load and built again after it.
LOADED_TABLES = [
    "claims_source",
    "claims_tag",
    "claims_claim",
    "claims_searchdocument",
    "claims_statement",
    "claims_appearance",
    "claims_claimtag",
    "verification_evidence",
    "verification_statuschange",
    "verification_statuschangeevidence",
    "publishing_publication",
]
# The share of all claims published (among those with a verdict), as the issue asks: 10%.
PUBLISHED_SHARE = 0.10


@dataclass
class LoadReport:
    scale: int
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    steps: dict[str, float] = field(default_factory=dict)


def _zipf_cum_weights(n: int) -> list[float]:
    return list(itertools.accumulate(1.0 / rank for rank in range(1, n + 1)))


class _Text:
    """Sentences of each language, drawn from its Zipf vocabulary."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.pools: dict[str, list[str]] = {}
        for lang in LANGUAGES:
            syllables = _SYLLABLES[lang].split()
            made_up = {
                "".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(VOCABULARY_SIZE)
            }
            vocabulary = _FUNCTION_WORDS[lang].split() + _REAL_WORDS[lang].split() + sorted(made_up)
            weights = _zipf_cum_weights(len(vocabulary))
            pool = []
            for _ in range(SENTENCE_POOL):
                words = rng.choices(vocabulary, cum_weights=weights, k=rng.randint(8, 18))
                pool.append(" ".join(words).capitalize() + ".")
            self.pools[lang] = pool

    def sentence(self, lang: str) -> str:
        return self.rng.choice(self.pools[lang])


def _ts(seconds: float) -> str:
    return (EPOCH + timedelta(seconds=seconds)).isoformat()


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _line(values: Iterable[Any]) -> str:
    # Generated text holds no tab, newline or backslash: no COPY escaping needed.
    return "\t".join("\\N" if v is None else str(v) for v in values) + "\n"


class _Copier:
    """Buffers COPY text lines and writes them in large chunks."""

    def __init__(self, copy: Any) -> None:
        self.copy = copy
        self.buffer: list[str] = []
        self.count = 0

    def add(self, *values: Any) -> None:
        self.buffer.append(_line(values))
        self.count += 1
        if len(self.buffer) >= 20_000:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.copy.write("".join(self.buffer).encode())
            self.buffer.clear()


def _copy(
    conn: psycopg.Connection[Any],
    table: str,
    columns: list[str],
    produce: Callable[[_Copier], None],
) -> int:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        copier = _Copier(copy)
        produce(copier)
        copier.flush()
    return copier.count


def _rows(rows: list[tuple[Any, ...]]) -> Callable[[_Copier], None]:
    def produce(out: _Copier) -> None:
        for row in rows:
            out.add(*row)

    return produce


def _secondary_indexes(conn: psycopg.Connection[Any]) -> list[tuple[str, str]]:
    """(name, definition) of the indexes of the loaded tables that back no constraint."""
    return conn.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relname = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        ORDER BY t.relname, i.relname
        """,
        [LOADED_TABLES],
    ).fetchall()


def corpus_load(
    conninfo: str,
    *,
    scale: int,
    user_ids: list[int],
    seed: int = 1,
    workers: int = 2,
    log: Callable[[str], None] = print,
) -> LoadReport:
    """Load ``scale`` claims (and their parts) into the database at ``conninfo``.

    ``user_ids`` are existing users (assignees, authors, reviewers). Commits when done; the
    tables must exist (migrated). Adds to whatever is there.
    """
    load = _Load(conninfo, scale=scale, user_ids=user_ids, seed=seed, workers=workers)
    started = mark = time.perf_counter()
    for name, step in [
        ("prepare", load.prepare),
        ("sources and tags", load.sources_and_tags),
        ("claims (COPY to staging)", load.claims_staged),
        ("statements (COPY to staging)", load.statements_staged),
        ("claims with search documents (INSERT ... SELECT)", load.claims_with_documents),
        ("statements (INSERT ... SELECT)", load.statements),
        ("appearances, tags, evidence", load.appearances_tags_evidence),
        ("status history", load.status_history),
        ("publications", load.publications),
        ("indexes", load.indexes),
        ("vacuum analyze", load.vacuum_analyze),
    ]:
        step()
        now = time.perf_counter()
        load.report.steps[name] = round(now - mark, 2)
        log(f"load: {name} {now - mark:.1f}s")
        mark = now
    load.report.seconds = round(time.perf_counter() - started, 2)
    return load.report


CLAIM_COLUMNS = ["id", "text", "summary", "claimant_id", "first_seen_at", "language"]
CLAIM_COLUMNS += ["assignee_id", "created_by_id", "status", "version", "created_at", "updated_at"]
STATEMENT_COLUMNS = ["id", "claim_id", "source_id", "quote", "stance", "said_at", "url"]
STATEMENT_COLUMNS += ["created_by_id", "created_at"]
EVIDENCE_COLUMNS = ["id", "claim_id", "kind", "stance", "description", "url", "file"]
EVIDENCE_COLUMNS += ["original_name", "content_type", "sha256", "size", "added_by_id"]
EVIDENCE_COLUMNS += ["added_at", "withdrawn_at", "withdrawn_by_id", "withdrawal_reason", "public"]
PUBLICATION_COLUMNS = ["claim_id", "slug", "publish_at", "first_published_at", "announced_at"]
PUBLICATION_COLUMNS += ["unpublish_reason", "verdict", "rating_label", "rating_value"]
PUBLICATION_COLUMNS += ["best_rating", "worst_rating", "explanation", "published_by_id"]


class _Load:
    """One load, step by step (``corpus_load`` times the steps). Each step draws from the one
    random generator in a fixed order: the corpus is the same for a seed."""

    def __init__(
        self, conninfo: str, *, scale: int, user_ids: list[int], seed: int, workers: int
    ) -> None:
        self.conninfo = conninfo
        self.scale = scale
        self.user_ids = user_ids
        self.workers = workers
        self.rng = random.Random(seed)
        self.report = LoadReport(scale=scale)
        self.text = _Text(self.rng)
        self.conn = psycopg.connect(conninfo, autocommit=False)
        self.dropped_indexes: list[tuple[str, str]] = []
        self.sources: list[tuple[str, str]] = []  # id, name
        self.tag_ids: list[int] = []
        # id, status, created, updated, version
        self.claims: list[tuple[str, str, float, float, int]] = []
        self.evidence_of: dict[str, str] = {}  # a claim's first evidence, cited by verdicts
        # Claims published (id, verdict, slug, when); decided with a generator of their own,
        # so that the rest of the corpus is the one of earlier versions.
        self.published: dict[str, tuple[str, str, float]] = {}
        self.publish_rng = random.Random(seed + 1)
        self.langs = list(LANGUAGES)
        self.lang_weights = list(itertools.accumulate(LANGUAGES.values()))

    def prepare(self) -> None:
        conn = self.conn
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute("SET synchronous_commit = off")
        self.dropped_indexes = _secondary_indexes(conn)
        for name, _definition in self.dropped_indexes:
            conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        for table in LOADED_TABLES:
            statement = sql.SQL("ALTER TABLE {} DISABLE TRIGGER USER")
            conn.execute(statement.format(sql.Identifier(table)))
        conn.commit()

    def sources_and_tags(self) -> None:
        conn, rng = self.conn, self.rng

        def produce_sources(out: _Copier) -> None:
            now = _ts(0)
            for n in range(max(20, self.scale // 50)):
                name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {n}"
                pk = _uuid(rng)
                self.sources.append((pk, name))
                kind = rng.choice(SOURCE_KINDS)
                out.add(pk, name, kind, rng.choice(ROLES), "", "", "", 1, now, now)

        source_columns = ["id", "name", "kind", "role", "country", "url", "notes", "version"]
        source_columns += ["created_at", "updated_at"]
        self.report.rows["sources"] = _copy(conn, "claims_source", source_columns, produce_sources)
        start_tag = conn.execute("SELECT COALESCE(MAX(id), 0) FROM claims_tag").fetchone()
        first_tag = int(start_tag[0] if start_tag else 0) + 1
        tag_names = ["ukraine", "russia", "nato", "energy", "elections", "health", "military"]
        tag_names += [f"topic-{n}" for n in range(200)]
        tag_names = [
            name
            for name in tag_names
            if not conn.execute("SELECT 1 FROM claims_tag WHERE name = %s", [name]).fetchone()
        ]
        self.report.rows["tags"] = _copy(
            conn,
            "claims_tag",
            ["id", "name"],
            _rows([(first_tag + i, name) for i, name in enumerate(tag_names)]),
        )
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('claims_tag', 'id'),"
            " (SELECT COALESCE(MAX(id), 1) FROM claims_tag))"
        )
        self.tag_ids = list(range(first_tag, first_tag + len(tag_names)))

    def claims_staged(self) -> None:
        """Claims into an unlogged staging table, whence each is written once with its
        search document (``claims_with_documents``)."""
        conn, rng, text, user_ids = self.conn, self.rng, self.text, self.user_ids
        conn.execute("DROP TABLE IF EXISTS bench_stage_claim, bench_stage_statement")
        conn.execute(
            "CREATE UNLOGGED TABLE bench_stage_claim (LIKE claims_claim INCLUDING DEFAULTS)"
        )
        conn.execute(
            "CREATE UNLOGGED TABLE bench_stage_statement (LIKE claims_statement INCLUDING DEFAULTS)"
        )
        statuses = list(STATUS_WEIGHTS)
        status_weights = list(itertools.accumulate(STATUS_WEIGHTS.values()))
        verdicts_share = sum(STATUS_WEIGHTS[verdict] for verdict in workflow.VERDICTS)
        published_odds = PUBLISHED_SHARE / verdicts_share

        def produce_claims(out: _Copier) -> None:
            for _ in range(self.scale):
                pk = _uuid(rng)
                lang = rng.choices(self.langs, cum_weights=self.lang_weights)[0]
                status = rng.choices(statuses, cum_weights=status_weights)[0]
                created = rng.random() * SPAN_SECONDS
                updated = created + rng.random() * 30 * 24 * 3600
                version = {"unverified": 1, "in_review": 2}.get(status, 3)
                self.claims.append((pk, status, created, updated, version))
                claim_text = text.sentence(lang) + " " + text.sentence(lang)
                if status in workflow.VERDICTS and self.publish_rng.random() < published_odds:
                    self.published[pk] = (status, slug_for(claim_text), updated + 3600)
                out.add(
                    pk,
                    claim_text,
                    text.sentence(lang) if rng.random() < 0.5 else "",
                    rng.choice(self.sources)[0] if rng.random() < 0.9 else None,
                    _ts(created - 86400) if rng.random() < 0.8 else None,
                    lang,
                    rng.choice(user_ids) if rng.random() < 0.3 else None,
                    rng.choice(user_ids),
                    status,
                    version,
                    _ts(created),
                    _ts(updated),
                )

        self.report.rows["claims"] = _copy(conn, "bench_stage_claim", CLAIM_COLUMNS, produce_claims)

    def statements_staged(self) -> None:
        rng = self.rng
        stances = ["supports", "counters", "context"]

        def produce_statements(out: _Copier) -> None:
            for pk, _status, created, _updated, _version in self.claims:
                lang = rng.choices(self.langs, cum_weights=self.lang_weights)[0]
                for n in range(rng.choice((1, 2, 3, 3, 4, 5))):
                    said = created + n * 3600
                    out.add(
                        _uuid(rng),
                        pk,
                        rng.choice(self.sources)[0],
                        self.text.sentence(lang),
                        rng.choice(stances),
                        _ts(said),
                        "",
                        rng.choice(self.user_ids),
                        _ts(said),
                    )

        self.report.rows["statements"] = _copy(
            self.conn, "bench_stage_statement", STATEMENT_COLUMNS, produce_statements
        )
        self.conn.commit()

    def claims_with_documents(self) -> None:
        """Each claim and its search document, written once, by ``workers`` connections."""
        insert_claims = f"""
            INSERT INTO claims_claim ({", ".join(CLAIM_COLUMNS)})
            SELECT {", ".join(CLAIM_COLUMNS)} FROM bench_stage_claim
            WHERE abs(hashtext(id::text)) %% %(workers)s = %(part)s
        """
        parts = document_parts_sql(
            "bench_stage_statement", "abs(hashtext(st.claim_id::text)) %% %(workers)s = %(part)s"
        )
        insert_documents = f"""
            INSERT INTO claims_searchdocument (claim_id, vector)
            SELECT claim.id, {_DOCUMENT_SQL}
            FROM bench_stage_claim AS claim
            LEFT JOIN ({parts}) AS parts ON parts.claim_id = claim.id
            WHERE abs(hashtext(claim.id::text)) %% %(workers)s = %(part)s
        """
        errors: list[BaseException] = []

        def insert_part(part: int) -> None:
            try:
                with psycopg.connect(self.conninfo) as worker:
                    worker.execute("SET synchronous_commit = off")
                    worker.execute("SET work_mem = '256MB'")
                    partition = {"workers": self.workers, "part": part}
                    worker.execute(insert_claims, partition)
                    worker.execute(
                        insert_documents, {"configs": json.dumps(SEARCH_CONFIGS), **partition}
                    )
            except BaseException as error:  # reported in the main thread
                errors.append(error)

        threads = [threading.Thread(target=insert_part, args=(p,)) for p in range(self.workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    def statements(self) -> None:
        self.conn.execute(
            f"INSERT INTO claims_statement ({', '.join(STATEMENT_COLUMNS)})"
            f" SELECT {', '.join(STATEMENT_COLUMNS)} FROM bench_stage_statement"
        )
        self.conn.execute("DROP TABLE bench_stage_claim, bench_stage_statement")
        self.conn.commit()

    def appearances_tags_evidence(self) -> None:
        conn, rng, rows = self.conn, self.rng, self.report.rows

        def produce_appearances(out: _Copier) -> None:
            for pk, _status, created, _updated, _version in self.claims:
                for n in range(rng.choice((1, 1, 2))):
                    out.add(
                        _uuid(rng),
                        pk,
                        f"https://news.example.org/{pk[:8]}/{n}",
                        rng.choice(OUTLETS),
                        _ts(created - 3600 * n),
                        "",
                        _ts(created),
                    )

        appearance_columns = ["id", "claim_id", "url", "outlet", "published_at", "quote"]
        appearance_columns += ["created_at"]
        rows["appearances"] = _copy(
            conn, "claims_appearance", appearance_columns, produce_appearances
        )
        tag_weights = _zipf_cum_weights(len(self.tag_ids))

        def produce_claimtags(out: _Copier) -> None:
            for pk, *_rest in self.claims:
                count = rng.choice((0, 1, 1, 2, 3))
                for tag in {*rng.choices(self.tag_ids, cum_weights=tag_weights, k=count)}:
                    out.add(pk, tag)

        rows["claim_tags"] = _copy(
            conn, "claims_claimtag", ["claim_id", "tag_id"], produce_claimtags
        )

        def produce_evidence(out: _Copier) -> None:
            for pk, status, created, _updated, _version in self.claims:
                count = rng.choice((0, 1, 1, 2))
                if status in workflow.REQUIRES_EVIDENCE:
                    count = max(count, 1)
                for n in range(count):
                    evidence_id = _uuid(rng)
                    if n == 0:
                        self.evidence_of[pk] = evidence_id
                    out.add(
                        evidence_id,
                        pk,
                        "web_page",
                        rng.choice(("supports", "refutes", "inconclusive")),
                        "Archived copy of the page.",
                        f"https://archive.example.org/{evidence_id[:12]}",
                        *("", "", "", ""),  # file, original name, content type, sha256
                        None,
                        rng.choice(self.user_ids),
                        _ts(created + 600),
                        *(None, None, ""),  # not withdrawn
                        n == 0 and pk in self.published,  # a published claim shows one
                    )

        rows["evidence"] = _copy(conn, "verification_evidence", EVIDENCE_COLUMNS, produce_evidence)

    def status_history(self) -> None:
        conn, rng = self.conn, self.rng
        first = conn.execute("SELECT COALESCE(MAX(id), 0) FROM verification_statuschange")
        row = first.fetchone()
        next_change = int(row[0] if row else 0) + 1
        citations: list[tuple[int, str]] = []

        def produce_changes(out: _Copier) -> None:
            nonlocal next_change
            for pk, status, created, updated, _version in self.claims:
                if status == "unverified":
                    continue
                steps = [("unverified", "in_review")]
                if status != "in_review":
                    steps.append(("in_review", status))
                for n, (from_status, to_status) in enumerate(steps):
                    at = created + (updated - created) * (n + 1) / len(steps)
                    out.add(
                        next_change,
                        pk,
                        from_status,
                        to_status,
                        rng.choice(self.user_ids),
                        "Reviewed the sources." if to_status != "in_review" else "Taking it.",
                        "api",
                        n + 2,
                        _ts(at),
                    )
                    if to_status in workflow.REQUIRES_EVIDENCE:
                        citations.append((next_change, self.evidence_of[pk]))
                    next_change += 1

        change_columns = ["id", "claim_id", "from_status", "to_status", "actor_id", "reason"]
        change_columns += ["channel", "claim_version", "at"]
        self.report.rows["status_changes"] = _copy(
            conn, "verification_statuschange", change_columns, produce_changes
        )
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('verification_statuschange', 'id'), %s)",
            [max(next_change - 1, 1)],
        )
        self.report.rows["citations"] = _copy(
            conn,
            "verification_statuschangeevidence",
            ["status_change_id", "evidence_id"],
            _rows(citations),
        )
        conn.commit()

    def publications(self) -> None:
        """The published claims' publications, rated on the default scale."""
        labels = {verdict: (label, value) for verdict, label, value in DEFAULT_LABELS}
        best, worst = DEFAULT_SCALE["best_rating"], DEFAULT_SCALE["worst_rating"]

        def produce(out: _Copier) -> None:
            for pk, (verdict, slug, at) in self.published.items():
                label, value = labels[verdict]
                when = _ts(at)
                out.add(
                    pk, slug, when, when, when, "", verdict, label, value, best, worst,
                    "Reviewed the sources.", self.rng.choice(self.user_ids),
                )  # fmt: skip

        self.report.rows["publications"] = _copy(
            self.conn, "publishing_publication", PUBLICATION_COLUMNS, produce
        )
        self.conn.commit()

    def indexes(self) -> None:
        conn = self.conn
        for table in LOADED_TABLES:
            statement = sql.SQL("ALTER TABLE {} ENABLE TRIGGER USER")
            conn.execute(statement.format(sql.Identifier(table)))
        conn.commit()
        conn.autocommit = True
        conn.execute("SET max_parallel_maintenance_workers = 2")
        for _name, definition in self.dropped_indexes:
            conn.execute(definition)  # pg_get_indexdef: built from the catalog, not input

    def vacuum_analyze(self) -> None:
        for table in LOADED_TABLES:
            self.conn.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(table)))
        self.conn.close()


def claim_ids_sample(conninfo: str, *, count: int, seed: int = 2) -> Iterator[str]:
    """Ids of ``count`` claims spread over the table (for detail requests)."""
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "SELECT id::text FROM claims_claim ORDER BY md5(id::text || %s) LIMIT %s",
            [str(seed), count],
        ).fetchall()
    return (row[0] for row in rows)
