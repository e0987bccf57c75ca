"""The rating scale a new install starts with (its migration, and tests that empty tables)."""

from __future__ import annotations

from typing import Any

# The labels readers see for each verdict, on schema.org's 1 (worst) to 5 (best) scale.
DEFAULT_SCALE = {"name": "Default", "best_rating": 5, "worst_rating": 1}
DEFAULT_LABELS = [
    ("false", "False", 1),
    ("misleading", "Misleading", 2),
    ("unproven", "Unproven", 3),
    ("verified", "True", 5),
]


def rating_scale_default(*, scale_model: Any, label_model: Any) -> None:
    """Create the default scale, active, unless there is a scale already. Takes the models as
    arguments so that the data migration can pass its historical ones."""
    if scale_model.objects.exists():
        return
    scale = scale_model.objects.create(**DEFAULT_SCALE, active=True)
    label_model.objects.bulk_create(
        label_model(scale=scale, verdict=verdict, label=label, value=value, language="en")
        for verdict, label, value in DEFAULT_LABELS
    )
