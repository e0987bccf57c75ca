"""The demo data of ``manage.py loaddemo``, built from the article the product was conceived from.

``examples/nato-russia-troops-2022-02-15.txt`` (15 February 2022): Moscow says troops near
Ukraine's border are going back to their bases; NATO and Ukraine say they see no sign of it on
the ground. The demo turns it into sources, claims, appearances, statements, evidence and a
status history, all written through the services by three demo users (an editor, a reviewer,
and a second reviewer who approves the verdicts), so every row has a real actor and the edit
history looks like a newsroom's.

Quotes are verbatim from the article (curly apostrophes kept); the texts we wrote ourselves
(claims, summaries, reasons) use straight apostrophes, so that a search for "Ukraine's" finds
them. URLs are placeholders under example.org: the article names no addresses. The article gives
dates but not times of day; the times below only put the day's events in order.

Loading is idempotent: sources are found by name and role, claims by their text; a claim that
exists is skipped with everything under it (its status history is played only when the claim
is created), so a second run writes nothing.
"""

# The quotes keep the article's curly apostrophes on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime

import pghistory
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.db import transaction

from claims import services as claim_services
from claims.models import Claim, ClaimStatus, Source, SourceKind, StatementStance
from core import roles
from publishing import services as publishing_services
from verification import services as verification_services
from verification.models import (
    Channel,
    Evidence,
    EvidenceKind,
    EvidenceStance,
    VerdictProposal,
)
from verification.workflow import VERDICTS

EDITOR_USERNAME = "demo-editor"
REVIEWER_USERNAME = "demo-reviewer"
# The second reviewer who approves the demo's verdicts (VERDICT_APPROVAL_REQUIRED).
APPROVER_USERNAME = "demo-approver"

ARTICLE_URL = "https://example.org/world-news/nato-asks-russia-to-prove-de-escalation-2022-02-15"
ARTICLE_OUTLET = "Example News (world desk)"
INTERFAX_URL = "https://example.org/interfax/2022-02-15/southern-military-district-troops-to-bases"
NATO_TRANSCRIPT_URL = "https://example.org/nato/2022-02-15/secretary-general-press-conference"
IMAGERY_URL = "https://example.org/osint/2022-02-15/satellite-imagery-russian-deployments-ukraine"


def _on_15_february(hour: int, minute: int = 0) -> datetime:
    return datetime(2022, 2, 15, hour, minute, tzinfo=UTC)


INTERFAX_AT = _on_15_february(8)
PESKOV_AT = _on_15_february(10)
KULEBA_AT = _on_15_february(11)
STOLTENBERG_AT = _on_15_february(13)
ARTICLE_AT = _on_15_february(15)


@dataclass(frozen=True)
class SourceSpec:
    name: str
    kind: SourceKind
    role: str
    country: str = ""
    notes: str = ""


@dataclass(frozen=True)
class AppearanceSpec:
    url: str
    outlet: str
    published_at: datetime
    quote: str = ""


@dataclass(frozen=True)
class StatementSpec:
    source: str  # a key of SOURCES
    quote: str
    stance: StatementStance
    said_at: datetime
    url: str


@dataclass(frozen=True)
class EvidenceSpec:
    key: str  # cited by TransitionSpec.evidence
    kind: EvidenceKind
    stance: EvidenceStance
    url: str
    description: str


@dataclass(frozen=True)
class TransitionSpec:
    to_status: ClaimStatus
    reason: str
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClaimSpec:
    text: str
    summary: str
    claimant: str | None  # a key of SOURCES
    first_seen_at: datetime
    tags: tuple[str, ...]
    assigned_to_reviewer: bool
    appearances: tuple[AppearanceSpec, ...] = ()
    statements: tuple[StatementSpec, ...] = ()
    evidence: tuple[EvidenceSpec, ...] = ()
    transitions: tuple[TransitionSpec, ...] = ()


SOURCES: dict[str, SourceSpec] = {
    "peskov": SourceSpec(
        name="Dmitry Peskov",
        kind=SourceKind.PERSON,
        role="Kremlin spokesperson",
        country="Russia",
    ),
    "kremlin": SourceSpec(
        name="The Kremlin",
        kind=SourceKind.GOVERNMENT,
        role="Office of the President of Russia",
        country="Russia",
        notes="Used for positions the article attributes to Moscow without naming a speaker.",
    ),
    "interfax": SourceSpec(
        name="Interfax",
        kind=SourceKind.AGENCY,
        role="Russian news agency",
        country="Russia",
    ),
    "southern_commander": SourceSpec(
        name="Commander of Russia's Southern Military District",
        kind=SourceKind.PERSON,
        role="Russian armed forces",
        country="Russia",
        notes="Not named in the article; quoted through Interfax.",
    ),
    "stoltenberg": SourceSpec(
        name="Jens Stoltenberg",
        kind=SourceKind.PERSON,
        role="NATO Secretary General",
        notes="Speaking to reporters in Brussels before a meeting of NATO defence ministers.",
    ),
    "kuleba": SourceSpec(
        name="Dmytro Kuleba",
        kind=SourceKind.PERSON,
        role="Ukraine's foreign minister",
        country="Ukraine",
    ),
}

# Claim (a): the withdrawal.
PESKOV_QUOTE = (
    "We’ve always said the troops will return to their bases after the exercises are over. "
    "This is the case this time as well."
)
SOUTHERN_COMMANDER_QUOTE = (
    "a large number of Russian troops posted in Crimea had been ordered back to their bases in "
    "southern Russia’s Dagestan and North Ossetia areas"
)
KULEBA_QUOTE = (
    "We won’t believe when we hear, we’ll believe when we see. "
    "When we see troops pulling out, we’ll believe in de-escalation."
)
STOLTENBERG_NO_DEESCALATION_QUOTE = (
    "There are signs from Moscow that diplomacy should continue. This gives grounds for cautious "
    "optimism. But so far we have not seen any sign of de-escalation on the ground from the "
    "Russian side"
)
# Claims (b) and (c): the build-up and Moscow's stated intentions.
STOLTENBERG_FIGHTING_FORCE_QUOTE = (
    "Russia has amassed a fighting force in and around Ukraine unprecedented since the cold war."
)
STOLTENBERG_NEW_ATTACK_QUOTE = (
    "Everything is now in place for a new attack. But Russia still has time to step back from "
    "the brink, stop preparing for war and start working for a peaceful solution"
)
STOLTENBERG_CRISIS_QUOTE = "most serious security crisis we have faced in Europe for decades"

WITHDRAWAL_TEXT = (
    "Russia has ordered troops near Ukraine's border back to their bases after drills."
)
BUILDUP_TEXT = "Russia has amassed more than 100,000 troops along Ukraine's borders."
NO_INVASION_TEXT = (
    "Russia has no plans to invade Ukraine; it is merely seeking security guarantees."
)
MISINFORMATION_TEXT = "The West is spearheading a misinformation campaign to spread hysteria."

CLAIMS: tuple[ClaimSpec, ...] = (
    ClaimSpec(
        text=WITHDRAWAL_TEXT,
        summary=(
            "Interfax, citing the commander of Russia's Southern Military District, reported that "
            "a large number of troops posted in Crimea had been ordered back to their bases in "
            "Dagestan and North Ossetia. The Kremlin then confirmed the withdrawal, calling the "
            "deployments drills."
        ),
        claimant="peskov",
        first_seen_at=INTERFAX_AT,
        tags=("russia", "ukraine", "troops", "de-escalation"),
        assigned_to_reviewer=True,
        appearances=(
            AppearanceSpec(url=INTERFAX_URL, outlet="Interfax", published_at=INTERFAX_AT),
            AppearanceSpec(
                url=ARTICLE_URL,
                outlet=ARTICLE_OUTLET,
                published_at=ARTICLE_AT,
                quote=(
                    "The Kremlin subsequently confirmed the troop withdrawal, with spokesperson "
                    f"Dmitry Peskov saying, “{PESKOV_QUOTE}”"
                ),
            ),
        ),
        statements=(
            StatementSpec(
                source="southern_commander",
                quote=SOUTHERN_COMMANDER_QUOTE,
                stance=StatementStance.SUPPORTS,
                said_at=INTERFAX_AT,
                url=INTERFAX_URL,
            ),
            StatementSpec(
                source="peskov",
                quote=PESKOV_QUOTE,
                stance=StatementStance.SUPPORTS,
                said_at=PESKOV_AT,
                url=ARTICLE_URL,
            ),
            StatementSpec(
                source="kuleba",
                quote=KULEBA_QUOTE,
                stance=StatementStance.COUNTERS,
                said_at=KULEBA_AT,
                url=ARTICLE_URL,
            ),
            StatementSpec(
                source="stoltenberg",
                quote=STOLTENBERG_NO_DEESCALATION_QUOTE,
                stance=StatementStance.COUNTERS,
                said_at=STOLTENBERG_AT,
                url=ARTICLE_URL,
            ),
        ),
        evidence=(
            EvidenceSpec(
                key="nato_transcript",
                kind=EvidenceKind.DOCUMENT,
                stance=EvidenceStance.INCONCLUSIVE,
                url=NATO_TRANSCRIPT_URL,
                description=(
                    "Transcript of the NATO Secretary General's press conference of 15 February "
                    "2022: NATO has not seen any sign of de-escalation on the ground."
                ),
            ),
            EvidenceSpec(
                key="imagery",
                kind=EvidenceKind.WEB_PAGE,
                stance=EvidenceStance.INCONCLUSIVE,
                url=IMAGERY_URL,
                description=(
                    "Open-source analysis of commercial satellite imagery of Russian deployments "
                    "near Ukraine: no units seen leaving Crimea yet."
                ),
            ),
        ),
        transitions=(
            TransitionSpec(
                to_status=ClaimStatus.IN_REVIEW,
                reason=(
                    "Moscow's announcement is checked against what can be seen on the ground "
                    "(imagery, observers, NATO and Ukrainian assessments)."
                ),
            ),
            TransitionSpec(
                to_status=ClaimStatus.UNPROVEN,
                reason=(
                    "No withdrawal is visible on the ground yet: NATO has seen no sign of "
                    "de-escalation and Ukraine will believe it when it sees troops pulling out. "
                    "An order may have been given, but it cannot be confirmed; reopen when "
                    "imagery shows units returning to their bases."
                ),
                evidence=("nato_transcript", "imagery"),
            ),
        ),
    ),
    ClaimSpec(
        text=BUILDUP_TEXT,
        summary=(
            "Stated in the article as background: over the past few weeks the build-up sparked "
            "fears among Western nations that an invasion was due any time."
        ),
        claimant=None,
        first_seen_at=ARTICLE_AT,
        tags=("russia", "ukraine", "nato", "troops"),
        assigned_to_reviewer=True,
        appearances=(
            AppearanceSpec(
                url=ARTICLE_URL,
                outlet=ARTICLE_OUTLET,
                published_at=ARTICLE_AT,
                quote=(
                    "Over the past few weeks, Russia had amassed more than 100,000 troops along "
                    "Ukraine’s borders, sparking fears among Western nations that an invasion is "
                    "due any time."
                ),
            ),
        ),
        statements=(
            StatementSpec(
                source="stoltenberg",
                quote=STOLTENBERG_FIGHTING_FORCE_QUOTE,
                stance=StatementStance.SUPPORTS,
                said_at=STOLTENBERG_AT,
                url=ARTICLE_URL,
            ),
            StatementSpec(
                source="stoltenberg",
                quote=STOLTENBERG_CRISIS_QUOTE,
                stance=StatementStance.CONTEXT,
                said_at=STOLTENBERG_AT,
                url=ARTICLE_URL,
            ),
        ),
        evidence=(
            EvidenceSpec(
                key="imagery",
                kind=EvidenceKind.WEB_PAGE,
                stance=EvidenceStance.SUPPORTS,
                url=IMAGERY_URL,
                description=(
                    "Open-source analysis of commercial satellite imagery showing Russian forces "
                    "massed near Ukraine's borders."
                ),
            ),
            EvidenceSpec(
                key="nato_transcript",
                kind=EvidenceKind.DOCUMENT,
                stance=EvidenceStance.SUPPORTS,
                url=NATO_TRANSCRIPT_URL,
                description=(
                    "Transcript of the NATO Secretary General's press conference of 15 February "
                    "2022: a fighting force in and around Ukraine unprecedented since the cold war."
                ),
            ),
        ),
        transitions=(
            TransitionSpec(
                to_status=ClaimStatus.IN_REVIEW,
                reason="Checking the size of the build-up against imagery and NATO's assessment.",
            ),
            TransitionSpec(
                to_status=ClaimStatus.VERIFIED,
                reason=(
                    "Satellite imagery shows the build-up along Ukraine's borders and NATO "
                    "describes a force unprecedented since the cold war; both are consistent "
                    "with more than 100,000 troops."
                ),
                evidence=("imagery", "nato_transcript"),
            ),
        ),
    ),
    ClaimSpec(
        text=NO_INVASION_TEXT,
        summary="Moscow's position while its troops were massed along Ukraine's borders.",
        claimant="kremlin",
        first_seen_at=ARTICLE_AT,
        tags=("russia", "ukraine", "nato"),
        assigned_to_reviewer=True,
        appearances=(
            AppearanceSpec(
                url=ARTICLE_URL,
                outlet=ARTICLE_OUTLET,
                published_at=ARTICLE_AT,
                quote=(
                    "Russia, however, has maintained that it is merely seeking security "
                    "guarantees and has no plans of invading its neighbour."
                ),
            ),
        ),
        statements=(
            StatementSpec(
                source="stoltenberg",
                quote=STOLTENBERG_NEW_ATTACK_QUOTE,
                stance=StatementStance.COUNTERS,
                said_at=STOLTENBERG_AT,
                url=ARTICLE_URL,
            ),
        ),
        transitions=(
            TransitionSpec(
                to_status=ClaimStatus.IN_REVIEW,
                reason=(
                    "A statement of intent cannot be checked directly; weighing it against the "
                    "deployments, which NATO says put everything in place for a new attack."
                ),
            ),
        ),
    ),
    ClaimSpec(
        text=MISINFORMATION_TEXT,
        summary="Moscow's accusation against Western governments and media.",
        claimant="kremlin",
        first_seen_at=ARTICLE_AT,
        tags=("russia", "nato"),
        assigned_to_reviewer=False,
        appearances=(
            AppearanceSpec(
                url=ARTICLE_URL,
                outlet=ARTICLE_OUTLET,
                published_at=ARTICLE_AT,
                quote=(
                    "Moscow has also accused the West of spearheading a misinformation campaign "
                    "to spread hysteria."
                ),
            ),
        ),
    ),
)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


@dataclass
class DemoResult:
    """What a load created; all zero when the demo was already there."""

    users: int = 0
    sources: int = 0
    claims: int = 0
    appearances: int = 0
    statements: int = 0
    evidence: int = 0
    status_changes: int = 0
    publications: int = 0
    skipped_claims: list[str] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(
            getattr(self, item.name) for item in fields(self) if item.name != "skipped_claims"
        )

    def summary(self) -> str:
        if not self.created:
            return "Demo data already loaded: nothing to do."
        counts = [
            _count(self.claims, "claim"),
            _count(self.sources, "source"),
            _count(self.appearances, "appearance"),
            _count(self.statements, "statement"),
            f"{self.evidence} evidence",
            _count(self.status_changes, "status change"),
            _count(self.publications, "published fact check"),
            _count(self.users, "user"),
        ]
        return f"Loaded the demo: created {', '.join(counts)}."


def _demo_user(username: str, group_name: str, result: DemoResult) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        # No password: the demo users are actors of the demo data, not accounts to sign in with.
        user = User.objects.create_user(
            username=username, email=f"{username}@example.org", password=None, is_staff=True
        )
        result.users += 1
    if not (user.is_active and user.is_staff):  # such a user may not act or be assigned claims
        raise PermissionDenied(f"The demo user {username!r} is not an active staff user.")
    user.groups.add(Group.objects.get(name=group_name))  # no write when already a member
    return user


def _sources_ensure(*, actor: User, result: DemoResult) -> dict[str, Source]:
    sources: dict[str, Source] = {}
    for key, spec in SOURCES.items():
        found = Source.objects.filter(name__iexact=spec.name, role=spec.role).first()
        if found is None:
            found = claim_services.source_create(
                actor=actor,
                name=spec.name,
                kind=spec.kind,
                role=spec.role,
                country=spec.country,
                notes=spec.notes,
            )
            result.sources += 1
        sources[key] = found
    return sources


def _claim_build(
    *,
    spec: ClaimSpec,
    sources: dict[str, Source],
    editor: User,
    reviewer: User,
    approver: User,
    channel: Channel,
    result: DemoResult,
) -> Claim:
    claim = claim_services.claim_create(
        actor=editor,
        text=spec.text,
        summary=spec.summary,
        claimant=sources[spec.claimant] if spec.claimant else None,
        first_seen_at=spec.first_seen_at,
        tags=spec.tags,
        assignee=reviewer if spec.assigned_to_reviewer else None,
    )
    result.claims += 1
    for appearance in spec.appearances:
        claim_services.appearance_add(
            actor=editor,
            claim=claim,
            url=appearance.url,
            outlet=appearance.outlet,
            published_at=appearance.published_at,
            quote=appearance.quote,
        )
        result.appearances += 1
    for statement in spec.statements:
        claim_services.statement_add(
            actor=editor,
            claim=claim,
            source=sources[statement.source],
            quote=statement.quote,
            stance=statement.stance,
            said_at=statement.said_at,
            url=statement.url,
        )
        result.statements += 1
    evidence: dict[str, Evidence] = {}
    for item in spec.evidence:
        evidence[item.key] = verification_services.evidence_add(
            actor=reviewer,
            claim=claim,
            kind=item.kind,
            stance=item.stance,
            url=item.url,
            description=item.description,
            public=True,  # published reporting: readers may follow it
        )
        result.evidence += 1
    for step in spec.transitions:
        done = verification_services.claim_transition(
            actor=reviewer,
            claim=claim,
            status=step.to_status,
            reason=step.reason,
            channel=channel,
            evidence=[evidence[key] for key in step.evidence],
        )
        if isinstance(done, VerdictProposal):
            verification_services.verdict_approve(actor=approver, claim=claim, channel=channel)
        result.status_changes += 1
    if spec.transitions and spec.transitions[-1].to_status in VERDICTS:
        # A newcomer sees the public site at once: the verdicts are published.
        publishing_services.claim_publish(actor=reviewer, claim=claim, channel=channel)
        result.publications += 1
    return claim


def demo_load(
    *, channel: Channel = Channel.COMMAND, claims: Iterable[ClaimSpec] = CLAIMS
) -> DemoResult:
    """Load the demo (users, sources, claims and their history); skip what already exists.

    One transaction: a failure leaves nothing half loaded. Every edit-history event carries
    ``channel`` in its context.
    """
    result = DemoResult()
    with transaction.atomic(), pghistory.context(channel=str(channel), command="loaddemo"):
        editor = _demo_user(EDITOR_USERNAME, roles.EDITOR, result)
        reviewer = _demo_user(REVIEWER_USERNAME, roles.REVIEWER, result)
        approver = _demo_user(APPROVER_USERNAME, roles.REVIEWER, result)
        sources = _sources_ensure(actor=editor, result=result)
        for spec in claims:
            if Claim.objects.filter(text=spec.text).exists():
                result.skipped_claims.append(spec.text)
                continue
            _claim_build(
                spec=spec,
                sources=sources,
                editor=editor,
                reviewer=reviewer,
                approver=approver,
                channel=channel,
                result=result,
            )
    return result
