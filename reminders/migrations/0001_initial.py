import core.validators
import datetime
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from core.migration_moves import content_types_follow

MOVES = [
    ("notifications", "reminders", "remindersettings"),
    ("notifications", "reminders", "reminder"),
]


def rename_schedule(apps, schema_editor):
    """The periodic reminder run (and any run queued in the outbox) under its new name."""
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        task="notifications.reminders_run"
    ).update(task="reminders.reminders_run")
    apps.get_model("notifications", "OutboxMessage").objects.filter(
        task="notifications.reminders_run"
    ).update(task="reminders.reminders_run")


def rename_schedule_back(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        task="reminders.reminders_run"
    ).update(task="notifications.reminders_run")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("notifications", "0003_urge_notices"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables stay where they are: only Django's idea of which app owns them moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ReminderSettings",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "send_at",
                            models.TimeField(
                                default=datetime.time(8, 30),
                                help_text="按日期到期的提醒在当天这一时间后发出。",
                                verbose_name="每日提醒时间",
                            ),
                        ),
                        (
                            "filing_days_before",
                            models.PositiveSmallIntegerField(
                                default=3,
                                help_text="填 0 不在截止前提醒。",
                                verbose_name="截止前几天提醒填报",
                            ),
                        ),
                        (
                            "filing_on_deadline",
                            models.BooleanField(default=True, verbose_name="截止当天提醒"),
                        ),
                        (
                            "filing_after_deadline",
                            models.BooleanField(default=True, verbose_name="逾期后提醒"),
                        ),
                        (
                            "escalate_after_days",
                            models.PositiveSmallIntegerField(
                                default=3,
                                help_text="逾期满这么多天仍未提交的,提醒该任务的牵头单位和街道管理员。",
                                verbose_name="逾期几天后报牵头单位和街道",
                            ),
                        ),
                        (
                            "meeting_hours_before",
                            models.PositiveSmallIntegerField(
                                default=24, verbose_name="会前几小时提醒参会人员"
                            ),
                        ),
                        (
                            "community_meeting_gap_days",
                            models.PositiveSmallIntegerField(
                                default=14,
                                help_text="社区最近一次联席会议早于这么多天前时提醒。",
                                verbose_name="社区联席会议间隔提醒(天)",
                            ),
                        ),
                        (
                            "street_meeting_gap_months",
                            models.PositiveSmallIntegerField(
                                default=1, verbose_name="街道联席会议间隔提醒(月)"
                            ),
                        ),
                        (
                            "item_deadline_days_before",
                            models.CharField(
                                default="30,7,1",
                                help_text="以逗号分隔,如“30,7,1”;逾期时另有提醒。",
                                max_length=50,
                                validators=[core.validators.validate_days_list],
                                verbose_name="任务时限前几天提醒",
                            ),
                        ),
                        (
                            "catch_up_days",
                            models.PositiveSmallIntegerField(
                                default=31,
                                help_text="系统停机错过的提醒,在这么多天内恢复时补发一次,更早的不再补发。",
                                verbose_name="补发期限(天)",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "提醒设置",
                        "verbose_name_plural": "提醒设置",
                        "db_table": "notifications_remindersettings",
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("pk", 1)), name="reminder_settings_single_row"
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("community_meeting_gap_days__gte", 1),
                                    ("street_meeting_gap_months__gte", 1),
                                    ("meeting_hours_before__gte", 1),
                                    ("catch_up_days__gte", 1),
                                ),
                                name="reminder_settings_positive",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Reminder",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "recipient_key",
                            models.CharField(
                                help_text="user:<id> 或 webhook:<id>。",
                                max_length=40,
                                verbose_name="收件人",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("filing_before", "填报截止前提醒"),
                                    ("filing_due", "填报截止当天提醒"),
                                    ("filing_overdue", "填报逾期提醒"),
                                    ("filing_escalation", "逾期未报上报"),
                                    ("meeting_upcoming", "会前提醒"),
                                    ("meeting_gap", "联席会议间隔提醒"),
                                    ("item_deadline", "任务时限临近"),
                                    ("item_overdue", "任务逾期"),
                                ],
                                max_length=30,
                                verbose_name="类型",
                            ),
                        ),
                        (
                            "subject",
                            models.CharField(
                                help_text="如 community:5、meeting:9、assignment:77。",
                                max_length=60,
                                verbose_name="对象",
                            ),
                        ),
                        (
                            "period",
                            models.CharField(
                                help_text="如 2017-07@2017-08-07。",
                                max_length=60,
                                verbose_name="期次",
                            ),
                        ),
                        ("text", models.TextField(verbose_name="内容")),
                        ("url", models.CharField(blank=True, max_length=300, verbose_name="链接")),
                        ("due_at", models.DateTimeField(verbose_name="应发时间")),
                        (
                            "created_at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, verbose_name="记录时间"
                            ),
                        ),
                        (
                            "message",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="reminders",
                                to="notifications.message",
                                verbose_name="所在消息",
                            ),
                        ),
                        (
                            "recipient",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="reminders",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="收件人",
                            ),
                        ),
                        (
                            "webhook",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="reminders",
                                to="notifications.webhookendpoint",
                                verbose_name="群机器人",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "提醒",
                        "verbose_name_plural": "提醒",
                        "db_table": "notifications_reminder",
                        "ordering": ["-due_at", "pk"],
                        "indexes": [
                            models.Index(
                                condition=models.Q(("message__isnull", True)),
                                fields=["recipient_key"],
                                name="reminder_undelivered",
                            ),
                            models.Index(
                                fields=["kind", "subject", "period"], name="reminder_subject"
                            ),
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("recipient_key", "kind", "subject", "period"),
                                name="reminder_idempotency_key",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    models.Q(
                                        ("recipient__isnull", False), ("webhook__isnull", True)
                                    ),
                                    models.Q(
                                        ("recipient__isnull", True), ("webhook__isnull", False)
                                    ),
                                    _connector="OR",
                                ),
                                name="reminder_has_exactly_one_recipient",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(*content_types_follow(MOVES)),
        migrations.RunPython(rename_schedule, rename_schedule_back),
    ]
