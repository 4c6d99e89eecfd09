from __future__ import annotations
from django.db import migrations

from communities.roles import role_permissions_sync

# The role groups and their permissions come from one table, communities.roles.ROLE_PERMISSIONS;
# this step applies what of it exists at this point of the history.

class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("communities", "0003_object_permissions"),
        ("tasks", "0002_extensions_evidence_requirements"),
    ]

    operations = [migrations.RunPython(role_permissions_sync, migrations.RunPython.noop)]
