"""``manage.py similar_eval`` (``make eval-similar``): similar-claim matching's precision and
recall on the labelled set, and the thresholds it chooses."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from matching.evaluation import SET, pairs_scored, report, threshold_chosen


class Command(BaseCommand):
    help = (
        "Score every pair of the labelled claims in matching/evaluation/claims.json with each "
        "matching layer; print the thresholds chosen from them and the precision and recall "
        "of each layer, and of the layers together by language pair and kind of pair, at the "
        "thresholds in use (SIMILAR_THRESHOLDS)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Scoring the labelled set {SET.name} ...")
        pairs = pairs_scored()
        chosen = {layer: threshold_chosen(pairs, layer) for layer in settings.SIMILAR_THRESHOLDS}
        self.stdout.write(f"Thresholds chosen from it: {chosen}")
        self.stdout.write(f"Thresholds in use:         {settings.SIMILAR_THRESHOLDS}")
        self.stdout.write("")
        self.stdout.write(report(pairs, {"text": 1.0, **settings.SIMILAR_THRESHOLDS}))
