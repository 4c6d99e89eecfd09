"""The portal's roles, and what each may do everywhere: one table.

Each role is a Django group. What a person may do *somewhere* (file for 示例社区一, review
for 房管所) comes from their ``Membership``, which grants the object permissions
(``communities.services``); nothing else grants those. What a role may do *everywhere* is
``ROLE_PERMISSIONS`` below, and only that: ``role_permissions_sync`` makes each role group
hold exactly these permissions. It runs after every ``migrate`` (``post_migrate``), and the
migrations that brought a permission in call it too, so adding a permission to a role is
one line here.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    STREET_ADMIN = "街道管理员", _("街道管理员")
    LEAD_UNIT_STAFF = "牵头单位人员", _("牵头单位人员")
    COMMUNITY_STAFF = "社区人员", _("社区人员")
    LEADERSHIP = "街道领导", _("街道领导")


def _model_permissions(app_label: str, *model_names: str) -> tuple[str, ...]:
    """Add, change, delete and view of each model: what editing it in the admin takes."""
    return tuple(
        f"{app_label}.{action}_{model}"
        for model in model_names
        for action in ("add", "change", "delete", "view")
    )


# "app.codename" names one permission; "app.*" every permission of the app's models.
ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    # Runs the portal: the checklist, its reports and calendar, the people and places, the
    # meetings, the assessment scheme; reopens reports; opens the dashboards and urges.
    Role.STREET_ADMIN: (
        "tasks.*",
        "meetings.*",
        *_model_permissions("communities", "community", "compound", "unit", "membership"),
        "communities.file_reports",
        "communities.review_reports",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "dashboards.view_dashboard",
        "dashboards.urge_parties",
        "assessments.view_scores",
        "assessments.publish_scores",
        *_model_permissions("assessments", "scheme", "criterion", "manualscore", "scoreadjustment"),
        "assessments.view_publication",
        "assessments.view_publishedscore",
    ),
    # Reviews the items the unit leads (object permissions), reads the dashboards and
    # the assessment.
    Role.LEAD_UNIT_STAFF: ("dashboards.view_dashboard", "assessments.view_scores"),
    # Files the community's reports: object permissions only.
    Role.COMMUNITY_STAFF: (),
    # Reads everything, changes nothing.
    Role.LEADERSHIP: (
        "tasks.view_all_reports",
        "dashboards.view_dashboard",
        "assessments.view_scores",
    ),
}


def role_permissions_sync(apps: Any = global_apps, schema_editor: Any = None) -> None:
    """Create the role groups and give each exactly the permissions of
    ``ROLE_PERMISSIONS`` that exist in ``apps`` (a migration's historical apps, or the
    project's). Safe to run any number of times; a migration calls it as a ``RunPython``."""
    for app_config in apps.get_app_configs():
        # A migration's app configs have no models_module; create_permissions skips an
        # app without one.
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = models_module
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = group_model.objects.get_or_create(name=role.value)
        wanted = models.Q(pk__in=[])
        for name in names:
            app_label, codename = name.split(".")
            if codename == "*":
                wanted |= models.Q(content_type__app_label=app_label)
            else:
                wanted |= models.Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(permission_model.objects.filter(wanted))
