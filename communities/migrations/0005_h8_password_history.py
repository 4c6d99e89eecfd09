"""The password history (communities.accounts.PasswordHistoryValidator), started with each
user's current password: a user may not go back to it at the first change."""

from typing import Any

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def current_passwords_kept(apps: Any, schema_editor: Any) -> None:
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    history = apps.get_model("communities", "PasswordHistory")
    history.objects.bulk_create(
        history(user_id=user_id, password=password)
        for user_id, password in user_model.objects.exclude(password__startswith="!")
        .exclude(password="")
        .values_list("pk", "password")
        .iterator()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("communities", "0004_community_order_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PasswordHistory",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("password", models.CharField(max_length=128, verbose_name="密码(哈希)")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="设置时间")),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="password_history",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="用户",
                    ),
                ),
            ],
            options={
                "verbose_name": "历史密码",
                "verbose_name_plural": "历史密码",
                "indexes": [
                    models.Index(fields=["user", "-created_at"], name="password_history_recent")
                ],
            },
        ),
        migrations.RunPython(current_passwords_kept, migrations.RunPython.noop),
    ]
