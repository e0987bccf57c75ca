"""Admin forms of publication: publish (now or at a time) and unpublish, each for one claim."""

from __future__ import annotations

from django import forms
from django.contrib.admin.widgets import AdminSplitDateTime

from core.forms import SeenVersionForm
from verification.models import REASON_MAX_LENGTH


class PublishForm(SeenVersionForm):
    publish_at = forms.SplitDateTimeField(
        required=False,
        widget=AdminSplitDateTime,
        label="Publish at",
        help_text="Leave empty to publish now; a future time keeps it under embargo until then.",
    )
    reason = forms.CharField(
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        label="Reason for a correction",
        help_text="When a public fact check gets another verdict, readers see this reason "
        "(by default, the reason of the status change).",
    )


class UnpublishForm(SeenVersionForm):
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Why the fact check is taken off the public site; kept in its history.",
    )
