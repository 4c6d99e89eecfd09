from __future__ import annotations

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Who opens the completion dashboards and who urges late parties (催办). Lead-unit staff
# urge only on the items their unit leads (``assessments.access``); leadership reads.
GRANTS = {
    "街道管理员": ["view_dashboard", "urge_parties"],
    "街道领导": ["view_dashboard"],
    "牵头单位人员": ["view_dashboard"],
}


def grant_dashboard_permissions(apps, schema_editor):  # type: ignore[no-untyped-def]
    app_config = apps.get_app_config("assessments")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for group_name, codenames in GRANTS.items():
        group, _ = group_model.objects.get_or_create(name=group_name)
        group.permissions.add(
            *permission_model.objects.filter(
                content_type__app_label="assessments", codename__in=codenames
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("communities", "0002_role_groups"),
        ("assessments", "0001_summaries"),
    ]

    operations = [migrations.RunPython(grant_dashboard_permissions, migrations.RunPython.noop)]
