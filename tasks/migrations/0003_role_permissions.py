from __future__ import annotations
from django.db import migrations

# This step granted role permissions. They now come from one table,
# communities.roles.ROLE_PERMISSIONS, applied after every migrate (post_migrate), so that a
# model's permissions are granted once it exists under its final app.

class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("communities", "0003_object_permissions"),
        ("tasks", "0002_extensions_evidence_requirements"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
