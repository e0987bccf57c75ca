"""The change log that keeps search indexes in step with PostgreSQL.

Database triggers (search/migrations) write a row, in the writing transaction, whenever a
claim is inserted, updated (every change to a claim, its statements, tags or evidence bumps
its version) or deleted, and for every claim quoting a source whose name changed. An index
reads the log by position, (``txid``, ``id``): transaction ids in the order transactions
began, read only below the oldest transaction still running, so that a transaction that
commits late is never skipped.
"""

from __future__ import annotations

from django.db import models


class SearchChange(models.Model):
    id = models.BigAutoField(primary_key=True)
    txid = models.BigIntegerField(help_text="The writing transaction (pg_current_xact_id).")
    claim_id = models.UUIDField()
    at = models.DateTimeField(db_default=models.functions.Now())

    class Meta:
        indexes = [models.Index(fields=["txid", "id"], name="search_change_position")]

    def __str__(self) -> str:
        return f"{self.txid}/{self.id}: {self.claim_id}"
