from django.db import migrations

from core.roles import roles_sync_migration


class Migration(migrations.Migration):
    dependencies = [("api", "0001_initial"), ("verification", "0002_roles")]

    operations = [migrations.RunPython(roles_sync_migration, migrations.RunPython.noop)]
