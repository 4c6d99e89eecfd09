from __future__ import annotations

from django.contrib.auth.management import create_permissions
from django.db import migrations

# What each role may do everywhere (object permissions on communities and units come from
# memberships). The street admin runs the portal; leadership reads everything.
STREET_ADMIN_APPS = ("tasks", "communities")
ROLE_PERMISSIONS = {
    "街道管理员": ["tasks.view_all_reports", "tasks.reopen_report", "auth.view_user",
               "auth.add_user", "auth.change_user"],
    "街道领导": ["tasks.view_all_reports"],
}


def grant_role_permissions(apps, schema_editor):  # type: ignore[no-untyped-def]
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    street_admin = group_model.objects.get(name="街道管理员")
    street_admin.permissions.add(
        *permission_model.objects.filter(content_type__app_label__in=STREET_ADMIN_APPS)
    )
    for group_name, perms in ROLE_PERMISSIONS.items():
        group = group_model.objects.get(name=group_name)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("communities", "0003_object_permissions"),
        ("tasks", "0002_extensions_evidence_requirements"),
    ]

    operations = [migrations.RunPython(grant_role_permissions, migrations.RunPython.noop)]
