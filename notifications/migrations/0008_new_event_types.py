"""The events of second approval and of assignments."""

import django.contrib.postgres.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0007_event_types_publishing"),
    ]

    operations = [
        migrations.AlterField(
            model_name="event",
            name="type",
            field=models.CharField(
                choices=[
                    ("claim.status_changed", "Claim status changed"),
                    ("claim.created", "Claim created"),
                    ("claim.assigned", "Claim assigned (or unassigned)"),
                    ("evidence.added", "Evidence added"),
                    ("claim.published", "Fact check published"),
                    ("claim.unpublished", "Fact check unpublished"),
                    ("claim.verdict_proposed", "Verdict proposed for approval"),
                    ("claim.verdict_rejected", "Verdict proposal rejected"),
                    ("webhook.test", "Test event"),
                ],
                max_length=40,
            ),
        ),
        migrations.AlterField(
            model_name="webhookendpoint",
            name="event_types",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(
                    choices=[
                        ("claim.status_changed", "Claim status changed"),
                        ("claim.created", "Claim created"),
                        ("claim.assigned", "Claim assigned (or unassigned)"),
                        ("evidence.added", "Evidence added"),
                        ("claim.published", "Fact check published"),
                        ("claim.unpublished", "Fact check unpublished"),
                        ("claim.verdict_proposed", "Verdict proposed for approval"),
                        ("claim.verdict_rejected", "Verdict proposal rejected"),
                        ("webhook.test", "Test event"),
                    ],
                    max_length=40,
                ),
                default=list,
                help_text="The event types sent to this endpoint.",
                size=None,
            ),
        ),
    ]
