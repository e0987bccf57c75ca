from django.db import migrations

from core.roles import roles_sync_migration


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial"), ("api", "0002_roles_api_tokens")]

    operations = [migrations.RunPython(roles_sync_migration, migrations.RunPython.noop)]
