"""Second approval: verdict proposals, and the status change an approval makes."""

import claims.text
import django.core.validators
import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
from django.db import migrations, models

from core.roles import roles_sync_migration


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0007_claim_text_key"),
        ("verification", "0005_evidence_public"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="VerdictProposal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "verdict",
                    models.CharField(
                        choices=[
                            ("unverified", "Unverified"),
                            ("in_review", "In review"),
                            ("verified", "Verified"),
                            ("false", "False"),
                            ("misleading", "Misleading"),
                            ("unproven", "Unproven"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "reason",
                    claims.text.MultiLineTextField(
                        validators=[django.core.validators.MaxLengthValidator(10000)]
                    ),
                ),
                ("proposed_at", models.DateTimeField(auto_now_add=True)),
                (
                    "channel",
                    models.CharField(
                        choices=[("admin", "Admin"), ("api", "API"), ("command", "Command")],
                        max_length=10,
                    ),
                ),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("pending", "Awaiting approval"),
                            ("approved", "Approved"),
                            ("rejected", "Rejected"),
                        ],
                        default="pending",
                        max_length=10,
                    ),
                ),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                (
                    "decision_reason",
                    claims.text.MultiLineTextField(
                        blank=True, validators=[django.core.validators.MaxLengthValidator(10000)]
                    ),
                ),
                (
                    "decision_channel",
                    models.CharField(
                        blank=True,
                        choices=[("admin", "Admin"), ("api", "API"), ("command", "Command")],
                        max_length=10,
                    ),
                ),
                (
                    "claim",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="verdict_proposals",
                        to="claims.claim",
                    ),
                ),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "proposed_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["proposed_at", "id"],
            },
        ),
        migrations.AddField(
            model_name="statuschange",
            name="proposal",
            field=models.OneToOneField(
                blank=True,
                help_text="The approved proposal this verdict comes from.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="status_change",
                to="verification.verdictproposal",
            ),
        ),
        migrations.CreateModel(
            name="VerdictProposalEvidence",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "evidence",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, to="verification.evidence"
                    ),
                ),
                (
                    "proposal",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        to="verification.verdictproposal",
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="verdictproposal",
            name="evidence",
            field=models.ManyToManyField(
                blank=True,
                related_name="+",
                through="verification.VerdictProposalEvidence",
                to="verification.evidence",
            ),
        ),
        migrations.AddConstraint(
            model_name="verdictproposalevidence",
            constraint=models.UniqueConstraint(
                fields=("proposal", "evidence"), name="verdictproposalevidence_unique"
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="verdictproposalevidence",
            trigger=pgtrigger.compiler.Trigger(
                name="verdictproposalevidence_append_only",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                    hash="0b233544dd46c09d5d3367f7702733f31c1a8d2c",
                    operation="UPDATE OR DELETE",
                    pgid="pgtrigger_verdictproposalevidence_append_only_94191",
                    table="verification_verdictproposalevidence",
                    when="BEFORE",
                ),
            ),
        ),
        migrations.AddIndex(
            model_name="verdictproposal",
            index=models.Index(
                condition=models.Q(("outcome", "pending")),
                fields=["proposed_at"],
                name="verdictproposal_pending",
            ),
        ),
        migrations.AddConstraint(
            model_name="verdictproposal",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("verdict__in", ("verified", "false", "misleading", "unproven"))
                ),
                name="verdictproposal_is_a_verdict",
            ),
        ),
        migrations.AddConstraint(
            model_name="verdictproposal",
            constraint=models.CheckConstraint(
                condition=models.Q(("reason__regex", "\\S")), name="verdictproposal_reason"
            ),
        ),
        migrations.AddConstraint(
            model_name="verdictproposal",
            constraint=models.CheckConstraint(
                condition=models.Q(("channel__in", ["admin", "api", "command"])),
                name="verdictproposal_channel_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="verdictproposal",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("outcome", "pending"),
                        ("decided_at__isnull", True),
                        ("decided_by__isnull", True),
                        ("decision_channel", ""),
                        ("decision_reason", ""),
                    ),
                    models.Q(
                        ("outcome__in", ["approved", "rejected"]),
                        ("decided_at__isnull", False),
                        ("decided_by__isnull", False),
                        ("decision_channel__in", ["admin", "api", "command"]),
                    ),
                    _connector="OR",
                ),
                name="verdictproposal_decision_complete",
            ),
        ),
        migrations.AddConstraint(
            model_name="verdictproposal",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("outcome", "rejected"), _negated=True),
                    ("decision_reason__regex", "\\S"),
                    _connector="OR",
                ),
                name="verdictproposal_rejection_has_reason",
            ),
        ),
        migrations.AddConstraint(
            model_name="verdictproposal",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("outcome", "approved"), _negated=True),
                    models.Q(("decided_by", models.F("proposed_by")), _negated=True),
                    _connector="OR",
                ),
                name="verdictproposal_second_pair_of_eyes",
            ),
        ),
        migrations.AddConstraint(
            model_name="verdictproposal",
            constraint=models.UniqueConstraint(
                condition=models.Q(("outcome", "pending")),
                fields=("claim",),
                name="verdictproposal_one_pending",
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="verdictproposal",
            trigger=pgtrigger.compiler.Trigger(
                name="verdictproposal_never_deleted",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="RAISE EXCEPTION 'pgtrigger: Cannot delete rows from % table', TG_TABLE_NAME;",
                    hash="05d57243efc4f1c59c518e1998e03b0ac31a28d4",
                    operation="DELETE",
                    pgid="pgtrigger_verdictproposal_never_deleted_984a2",
                    table="verification_verdictproposal",
                    when="BEFORE",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="verdictproposal",
            trigger=pgtrigger.compiler.Trigger(
                name="verdictproposal_decided_once",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition='WHEN (NOT (OLD."outcome" = \'pending\') OR NEW."outcome" = \'pending\' OR OLD."claim_id" IS DISTINCT FROM (NEW."claim_id") OR OLD."verdict" IS DISTINCT FROM (NEW."verdict") OR OLD."reason" IS DISTINCT FROM (NEW."reason") OR OLD."proposed_by_id" IS DISTINCT FROM (NEW."proposed_by_id") OR OLD."proposed_at" IS DISTINCT FROM (NEW."proposed_at") OR OLD."channel" IS DISTINCT FROM (NEW."channel"))',
                    func="RAISE EXCEPTION 'pgtrigger: Cannot update rows from % table', TG_TABLE_NAME;",
                    hash="71d154b3da22525c0631a79a8685ca70ae675054",
                    operation="UPDATE",
                    pgid="pgtrigger_verdictproposal_decided_once_6770f",
                    table="verification_verdictproposal",
                    when="BEFORE",
                ),
            ),
        ),
        # The roles see proposals (view_verdictproposal).
        migrations.RunPython(roles_sync_migration, migrations.RunPython.noop),
    ]
