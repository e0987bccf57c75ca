"""Test data built through the services, so tests exercise the real write path."""

from __future__ import annotations

import hashlib
from typing import Any

import factory
from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from claims import services as claim_services
from claims.models import Claim, Source, SourceKind, Statement
from core import roles
from publishing import services as publishing_services
from publishing.models import Publication
from verification import services as verification_services
from verification.models import (
    CaptureState,
    Channel,
    Evidence,
    EvidenceCapture,
    EvidenceKind,
    EvidenceStance,
    StatusChange,
    VerdictProposal,
)
from verification.workflow import REQUIRES_EVIDENCE, VERDICTS

# The smallest valid PNG: evidence uploads must pass the content check.
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")
    is_staff = True

    @factory.post_generation
    def groups(self, create: bool, extracted: list[str] | None, **kwargs: Any) -> None:
        for name in extracted or []:
            self.groups.add(Group.objects.get(name=name))


def viewer(**kwargs: Any) -> User:
    return UserFactory(groups=[roles.VIEWER], **kwargs)


def editor(**kwargs: Any) -> User:
    return UserFactory(groups=[roles.EDITOR], **kwargs)


def reviewer(**kwargs: Any) -> User:
    return UserFactory(groups=[roles.REVIEWER], **kwargs)


def source(*, actor: User | None = None, **kwargs: Any) -> Source:
    kwargs.setdefault("name", f"Source {Source.objects.count() + 1}")
    kwargs.setdefault("kind", SourceKind.PERSON)
    return claim_services.source_create(actor=actor or editor(), **kwargs)


def claim(*, actor: User | None = None, **kwargs: Any) -> Claim:
    kwargs.setdefault("text", f"Claim number {Claim.objects.count() + 1} is checkable.")
    return claim_services.claim_create(actor=actor or editor(), **kwargs)


new_claim = claim  # for the functions whose ``claim`` argument hides it


def statement(*, claim: Claim, actor: User | None = None, **kwargs: Any) -> Statement:
    if "source" not in kwargs:
        kwargs["source"] = source()
    kwargs.setdefault("quote", "We will believe it when we see it.")
    kwargs.setdefault("stance", "counters")
    return claim_services.statement_add(actor=actor or editor(), claim=claim, **kwargs)


def evidence(*, claim: Claim, actor: User | None = None, **kwargs: Any) -> Evidence:
    kwargs.setdefault("kind", EvidenceKind.WEB_PAGE)
    kwargs.setdefault("stance", EvidenceStance.REFUTES)
    if "file" not in kwargs:
        kwargs.setdefault("url", f"https://example.org/evidence/{Evidence.objects.count() + 1}")
    return verification_services.evidence_add(actor=actor or editor(), claim=claim, **kwargs)


def png_upload(name: str = "satellite.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


def transition(
    *, claim: Claim, status: str, actor: User | None = None, **kwargs: Any
) -> StatusChange:
    """A status change; a verdict under second approval is proposed by ``actor`` and approved
    by another reviewer (tests of the proposal itself call the services)."""
    kwargs.setdefault("reason", f"Moving to {status}.")
    kwargs.setdefault("channel", Channel.ADMIN)
    done = verification_services.claim_transition(
        actor=actor or reviewer(), claim=claim, status=status, **kwargs
    )
    if isinstance(done, VerdictProposal):
        return verification_services.verdict_approve(
            actor=reviewer(), claim=claim, channel=kwargs["channel"]
        )
    return done


def verdict(
    *, claim: Claim, status: str = "false", actor: User | None = None, reason: str = ""
) -> StatusChange:
    """Take the claim through review to a verdict, citing new evidence when it needs some."""
    actor = actor or reviewer()
    if claim.status != "in_review":
        transition(claim=claim, status="in_review", actor=actor)
    cited = [evidence(claim=claim, actor=actor)] if status in REQUIRES_EVIDENCE else []
    claim.refresh_from_db()
    return transition(
        claim=claim,
        status=status,
        actor=actor,
        evidence=cited,
        reason=reason or f"The verdict is {status}.",
    )


def published(
    *, claim: Claim | None = None, status: str = "false", actor: User | None = None, **kwargs: Any
) -> Publication:
    """A claim with a verdict, published (now, or at ``publish_at``)."""
    actor = actor or reviewer()
    claim = claim or new_claim()
    if claim.status not in VERDICTS:
        verdict(claim=claim, status=status, actor=actor)
    kwargs.setdefault("channel", Channel.ADMIN)
    return publishing_services.claim_publish(actor=actor, claim=claim, **kwargs)


def captured(evidence: Evidence, body: bytes = b"<html><p>Archived.</p></html>") -> EvidenceCapture:
    """A finished capture of a URL evidence item's page, written as the worker writes one
    (the fetch itself: tests/verification/test_capture.py, against a real local site)."""
    capture = EvidenceCapture(
        evidence=evidence,
        requested_by=evidence.added_by,
        state=CaptureState.SUCCEEDED,
        attempts=1,
        final_url=evidence.url,
        status_code=200,
        headers={"content-type": "text/html"},
        content_type="text/html",
        size=len(body),
        sha256=hashlib.sha256(body).hexdigest(),
        fetched_at=timezone.now(),
    )
    capture.content.save("page.bin", ContentFile(body), save=False)
    capture.warc.save("page.warc.gz", ContentFile(b"WARC/1.0"), save=False)
    capture.save()
    return capture
