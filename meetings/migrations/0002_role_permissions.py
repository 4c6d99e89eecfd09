from __future__ import annotations

from django.contrib.auth.management import create_permissions
from django.db import migrations

# The street admin records and changes every meeting (``meetings.access``) and edits them
# in the Django admin; leadership reads meetings through ``tasks.view_all_reports``.


def grant_street_admin(apps, schema_editor):  # type: ignore[no-untyped-def]
    app_config = apps.get_app_config("meetings")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    street_admin, _ = group_model.objects.get_or_create(name="街道管理员")
    street_admin.permissions.add(
        *permission_model.objects.filter(content_type__app_label="meetings")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("communities", "0002_role_groups"),
        ("meetings", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant_street_admin, migrations.RunPython.noop)]
