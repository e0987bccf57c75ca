"""The change log that keeps search indexes in step with PostgreSQL.

Database triggers (search/migrations) write a row, in the writing transaction, whenever a
claim is inserted, updated (every change to a claim, its statements, tags or evidence bumps
its version) or deleted, for every claim quoting a source whose name changed, and for every
claim assigned to a user whose username changed (the ``assignee`` filter). An index
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


class SearchIndex(models.Model):
    """An index that reads the change log, and the last position it applied.

    Every index is registered by the rebuild that made it; its indexer moves the position
    as it applies changes. The log is pruned below the position of the index furthest behind
    (search.indexer.log_prune); an index left behind by more than the retention is dropped
    from here, and its indexer rebuilds it.
    """

    name = models.CharField(primary_key=True, max_length=500, help_text="host:directory")
    txid = models.BigIntegerField()
    row = models.BigIntegerField()
    seen_at = models.DateTimeField(db_default=models.functions.Now())

    class Meta:
        verbose_name_plural = "search indexes"

    def __str__(self) -> str:
        return f"{self.name} at {self.txid}/{self.row}"
