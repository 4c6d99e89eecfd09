"""Field validators that several apps (and their migrations) name."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def validate_days_list(value: str) -> None:
    """A comma-separated list of day counts, 1 to 366: "30,7,1" (a Chinese comma too)."""
    parts = [part.strip() for part in value.replace(",", ",").split(",") if part.strip()]
    if not parts or not all(
        part.isascii() and part.isdigit() and 0 < int(part) <= 366 for part in parts
    ):
        raise ValidationError(_("请填写以逗号分隔的天数,如“30,7,1”。"))
