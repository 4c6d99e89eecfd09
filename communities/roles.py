"""The portal's roles. Each is a Django group; a user's community or unit is a Membership."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    STREET_ADMIN = "街道管理员", _("街道管理员")
    LEAD_UNIT_STAFF = "牵头单位人员", _("牵头单位人员")
    COMMUNITY_STAFF = "社区人员", _("社区人员")
    LEADERSHIP = "街道领导", _("街道领导")
