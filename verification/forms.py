"""Admin forms of the verification workflow: status changes (one claim or many) and evidence."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from claims.models import Claim, ClaimStatus
from claims.text import multi_line
from core.errors import STALE_MESSAGE
from core.forms import SeenVersionForm
from verification import workflow
from verification.models import REASON_MAX_LENGTH, Evidence
from verification.selectors import claim_citable_evidence
from verification.uploads import inspect_upload

if TYPE_CHECKING:
    _EvidenceModelForm = forms.ModelForm[Evidence]
else:
    _EvidenceModelForm = forms.ModelForm

BULK_FORM_DAMAGED_MESSAGE = (
    "This form does not say which versions of the claims it was opened for. Select the "
    "claims and choose “Change status” again. Nothing was saved."
)

_VERSION = re.compile(r"[0-9]{1,18}")


class CitedEvidenceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        evidence: Evidence = obj
        description = f" ({evidence.description[:80]})" if evidence.description else ""
        return f"{evidence} [{evidence.get_stance_display().lower()}]{description}"


class ClaimStatusChangeForm(SeenVersionForm):
    """Move one claim to a status its current status allows, citing its evidence."""

    status = forms.ChoiceField(label="New status")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text="Every status change needs a reason; it is kept in the claim's history.",
    )
    evidence = CitedEvidenceField(
        queryset=Evidence.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Cited evidence",
        help_text="The verdicts verified, false and misleading need at least one.",
    )

    def __init__(self, *args: Any, claim: Claim, **kwargs: Any) -> None:
        # Said first: a claim changed since also changes which targets are valid.
        super().__init__(*args, seen=claim, **kwargs)
        self.claim = claim
        # Only the targets the workflow allows from the current status are offered; a forged
        # other value is an "invalid choice" form error.
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            ("", "---------"),
            *((status.value, status.label) for status in workflow.allowed_targets(claim.status)),
        ]
        cast(
            forms.ModelMultipleChoiceField, self.fields["evidence"]
        ).queryset = claim_citable_evidence(claim=claim)


class VerdictDecisionForm(SeenVersionForm):
    """Approve or reject a claim's verdict proposal; the service says what a reason needs (a
    rejection's is required, in the API's words)."""

    reason = forms.CharField(
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
    )

    def __init__(self, *args: Any, seen: Claim, approve: bool, **kwargs: Any) -> None:
        super().__init__(*args, seen=seen, **kwargs)
        reason = self.fields["reason"]
        if approve:
            reason.label = "Comment"
            reason.help_text = "Optional. The verdict keeps the proposal's reason."
        else:
            reason.label = "Why it is rejected"
            reason.help_text = "Required; the proposer is emailed it. The claim stays in review."


def stale_claims_message(claims: Iterable[Claim]) -> str:
    """The stale-form message, naming the claims changed since the form was opened."""
    names = ", ".join(f"“{claim}”" for claim in claims)
    return f"{STALE_MESSAGE} Changed since: {names}."


class BulkStatusChangeForm(forms.Form):
    """Move many claims to one status; each claim is checked against the workflow.

    The form carries the version of each claim it was opened for (``versions``, by claim
    id); the action changes none of them if any changed since, or was not in the form.
    """

    status = forms.ChoiceField(
        label="New status", choices=[("", "---------"), *ClaimStatus.choices]
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text="Recorded as the reason of every status change.",
    )
    # "id:version,id:version", the claims as the form showed them.
    versions = forms.CharField(
        widget=forms.HiddenInput,
        error_messages={"required": BULK_FORM_DAMAGED_MESSAGE},
    )

    def __init__(self, *args: Any, claims: Iterable[Claim], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["versions"].initial = ",".join(
            f"{claim.pk}:{claim.version}" for claim in claims
        )

    def clean_versions(self) -> dict[str, int]:
        versions: dict[str, int] = {}
        for pair in self.cleaned_data["versions"].split(","):
            pk, _, version = pair.partition(":")
            if not pk or not _VERSION.fullmatch(version):
                raise ValidationError(BULK_FORM_DAMAGED_MESSAGE)
            versions[pk] = int(version)
        return versions


class EvidenceAddForm(_EvidenceModelForm):
    """New evidence on the claim page: an uploaded file or a URL, checked before saving (the
    model's file-or-URL constraint says what is wrong, in the words the API uses)."""

    class Meta:
        model = Evidence
        fields = ["kind", "stance", "description", "file", "url", "public"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2, "cols": 40})}

    def clean_file(self) -> UploadedFile | None:
        file = self.cleaned_data.get("file")
        if file:
            # The same check the service makes, so a bad file is a form error on its field.
            inspect_upload(file)
        return file


class EvidenceWithdrawForm(_EvidenceModelForm):
    """Existing evidence is read-only; the one thing to do with it is to withdraw it."""

    withdraw_reason = forms.CharField(
        required=False,
        max_length=REASON_MAX_LENGTH,
        validators=[multi_line],
        label="Withdraw with reason",
        widget=forms.Textarea(attrs={"rows": 2, "cols": 30}),
        help_text="Evidence is never deleted. Give a reason to withdraw it: it stays on "
        "record and can no longer be cited.",
    )

    capture_again = forms.BooleanField(
        required=False,
        label="Capture again",
        help_text="Fetch the page once more; earlier captures are kept.",
    )

    class Meta:
        model = Evidence
        fields = ["public"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The fields of those who may change evidence (a viewer's form has none of them).
        evidence = self.instance
        withdraw, public, again = (
            self.fields.get(name) for name in ("withdraw_reason", "public", "capture_again")
        )
        if not evidence._state.adding and evidence.is_withdrawn:
            if withdraw is not None:
                withdraw.disabled = True
                withdraw.help_text = "Already withdrawn."
            if public is not None:
                public.disabled = True
        if again is not None and (
            evidence._state.adding or evidence.is_withdrawn or not evidence.url
        ):
            again.disabled = True
            again.help_text = "Only live URL evidence is captured."

    def clean_withdraw_reason(self) -> str:
        reason: str = self.cleaned_data.get("withdraw_reason", "")
        return reason.strip()
