"""The default rating scale, and the roles' permissions on publishing (the publish permission)."""

from typing import Any

from django.db import migrations

from core.roles import roles_sync_migration
from publishing.defaults import rating_scale_default


def default_scale(apps: Any, schema_editor: Any) -> None:
    rating_scale_default(
        scale_model=apps.get_model("publishing", "RatingScale"),
        label_model=apps.get_model("publishing", "RatingLabel"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("publishing", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(default_scale, migrations.RunPython.noop),
        migrations.RunPython(roles_sync_migration, migrations.RunPython.noop),
    ]
