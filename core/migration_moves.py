"""Helpers for migrations that move a model from one app to another (its table stays)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Move = tuple[str, str, str]  # (old app label, new app label, model name)
Step = Callable[[Any, Any], None]


def content_types_follow(moves: Sequence[Move]) -> tuple[Step, Step]:
    """Move the models' content types to their new app, so that their permissions (and any
    object permission or admin log entry) follow them: nothing is granted anew."""

    def forward(apps: Any, schema_editor: Any) -> None:
        content_type_model = apps.get_model("contenttypes", "ContentType")
        for old_app, new_app, model in moves:
            old = content_type_model.objects.filter(app_label=old_app, model=model).first()
            if old is None:
                continue
            new = content_type_model.objects.filter(app_label=new_app, model=model).first()
            if new is None:
                old.app_label = new_app
                old.save(update_fields=["app_label"])
            else:
                apps.get_model("auth", "Permission").objects.filter(content_type=old).exclude(
                    codename__in=new.permission_set.values("codename")
                ).update(content_type=new)
                old.delete()

    def backward(apps: Any, schema_editor: Any) -> None:
        content_type_model = apps.get_model("contenttypes", "ContentType")
        for old_app, new_app, model in moves:
            content_type_model.objects.filter(app_label=new_app, model=model).update(
                app_label=old_app
            )

    return forward, backward
