"""The seeded rating mapping, and the roles' permissions on imports and reviews."""

from typing import Any

from django.db import migrations

from core.roles import roles_sync_migration
from interchange.defaults import rating_mappings_default


def rating_mappings(apps: Any, schema_editor: Any) -> None:
    rating_mappings_default(mapping_model=apps.get_model("interchange", "RatingMapping"))


class Migration(migrations.Migration):
    dependencies = [
        ("interchange", "0001_initial"),
        ("publishing", "0002_default_scale_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(rating_mappings, migrations.RunPython.noop),
        migrations.RunPython(roles_sync_migration, migrations.RunPython.noop),
    ]
