from __future__ import annotations

from django.contrib.auth.management import create_permissions
from django.db import migrations

# The street admin edits the scheme, scores manual criteria, adjusts and publishes;
# leadership and lead units read the scores and the ranking.
SCHEME_MODELS = ("scheme", "criterion", "manualscore", "scoreadjustment")
GRANTS = {
    "街道管理员": ["view_scores", "publish_scores"]
    + [f"{action}_{model}" for model in SCHEME_MODELS for action in ("add", "change", "delete", "view")]
    + ["view_publication", "view_publishedscore"],
    "街道领导": ["view_scores"],
    "牵头单位人员": ["view_scores"],
}


def grant_scoring_permissions(apps, schema_editor):  # type: ignore[no-untyped-def]
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
        ("assessments", "0003_assessment_scheme"),
    ]

    operations = [migrations.RunPython(grant_scoring_permissions, migrations.RunPython.noop)]
