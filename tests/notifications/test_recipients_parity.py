"""The recipients query (hand-written SQL) and claim_watched with claims_access_missing (the
rule, user by user) agree on every combination of what makes a user get a claim's emails."""

from __future__ import annotations

import itertools
from typing import NamedTuple

import pytest
from django.contrib.auth.models import Group, Permission, User

from claims.models import Claim, Tag
from core.roles import VIEWER
from notifications import selectors, services
from notifications.models import SubscriptionTarget as T
from tests import factories as f

pytestmark = pytest.mark.django_db

OWN = ["none", "watch", "mute"]  # the user's row for the claim itself
BROADER = ["none", "tag", "other_tag", "source", "other_source", "all"]
AUTO = ["none", "creator", "assignee"]
ACCESS = ["role", "own_permission", "superuser", "none"]


class Case(NamedTuple):
    own: str
    broader: str
    auto: str
    access: str
    active: bool
    email: bool

    @property
    def username(self) -> str:
        return "-".join(str(value) for value in self)


def test_recipients_query_and_claim_watched_agree_on_every_combination(settings):
    author = f.UserFactory(username="author", is_superuser=True, is_staff=True)
    claimant, other_source = f.source(name="Kremlin"), f.source(name="NATO")
    f.claim(actor=author, tags=["health"])
    cases = [
        Case(*values)
        for values in itertools.product(OWN, BROADER, AUTO, ACCESS, *[[True, False]] * 2)
    ]
    # Everything is set up while each user may do it; access is taken away afterwards.
    users = {
        case: f.UserFactory(username=case.username, is_superuser=True, is_staff=True)
        for case in cases
    }

    def claim(creator: User, assignee: User | None = None) -> Claim:
        return f.claim(actor=creator, assignee=assignee, claimant=claimant, tags=["nato"])

    shared = claim(author)
    claim_of = {case: shared for case in cases if case.auto == "none"}
    creators = [case for case in cases if case.auto == "creator"]
    assignees = [case for case in cases if case.auto == "assignee"]
    for creator, assignee in zip(creators, assignees, strict=True):
        claim_of[creator] = claim_of[assignee] = claim(users[creator], users[assignee])

    broader = {
        "tag": {"target": T.TAG, "tag": Tag.objects.get(name="nato")},
        "other_tag": {"target": T.TAG, "tag": Tag.objects.get(name="health")},
        "source": {"target": T.SOURCE, "source": claimant},
        "other_source": {"target": T.SOURCE, "source": other_source},
        "all": {"target": T.ALL},
    }
    viewer_role = Group.objects.get(name=VIEWER)
    view_claim = Permission.objects.get(content_type__app_label="claims", codename="view_claim")
    for case, user in users.items():
        if case.broader != "none":
            services.subscription_create(actor=user, **broader[case.broader])
        if case.own == "watch":
            services.claim_watch(actor=user, claim=claim_of[case])
        elif case.own == "mute":
            services.claim_unwatch(actor=user, claim=claim_of[case])
        if case.access == "role":
            user.groups.add(viewer_role)
        elif case.access == "own_permission":
            user.user_permissions.add(view_claim)
        user.is_superuser = case.access == "superuser"
        user.is_active = case.active
        user.email = user.email if case.email else ""
        user.save()

    for auto_watch in (True, False):
        settings.NOTIFY_AUTO_WATCH = auto_watch
        by_query = {
            claim.pk: {user.pk for user in selectors.claim_email_recipients(claim)}
            for claim in {claim.pk: claim for claim in claim_of.values()}.values()
        }
        fresh = User.objects.in_bulk([user.pk for user in users.values()])  # no perm cache
        outcomes = {}
        for case, user in users.items():
            claim = claim_of[case]
            rule = fresh[user.pk]
            outcomes[case] = (
                user.pk in by_query[claim.pk],
                bool(rule.email)
                and not selectors.claims_access_missing(rule)
                and selectors.claim_watched(user=rule, claim=claim),
            )
        disagreements = [case for case, (query, rule) in outcomes.items() if query != rule]
        assert disagreements == [], f"NOTIFY_AUTO_WATCH={auto_watch}"
        # The matrix reaches both answers on every dimension.
        emailed = [case for case, (query, _) in outcomes.items() if query]
        assert {case.own for case in emailed} == {"none", "watch"}
        assert {case.broader for case in emailed} == set(BROADER)
        assert {case.auto for case in emailed} == set(AUTO)
        assert {case.access for case in emailed} == {"role", "own_permission", "superuser"}
        assert {(case.active, case.email) for case in emailed} == {(True, True)}
        only_auto = Case("none", "none", "creator", "role", True, True)
        assert (only_auto in emailed) == auto_watch
