import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from core.migration_moves import content_types_follow

MOVES = [
    ("assessments", "dashboards", "assignmentmonth"),
    ("assessments", "dashboards", "partymonth"),
    ("notifications", "dashboards", "urgenotice"),
]


def rename_queued_rebuilds(apps, schema_editor):
    """A summary rebuild asked for before the upgrade and not relayed yet runs under the
    job's new name."""
    outbox = apps.get_model("notifications", "OutboxMessage")
    outbox.objects.filter(task="assessments.summaries_rebuild").update(
        task="dashboards.summaries_rebuild"
    )


def rename_queued_rebuilds_back(apps, schema_editor):
    outbox = apps.get_model("notifications", "OutboxMessage")
    outbox.objects.filter(task="dashboards.summaries_rebuild").update(
        task="assessments.summaries_rebuild"
    )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("communities", "0003_object_permissions"),
        ("tasks", "0004_calendarday"),
        ("assessments", "0006_criterion_pillar"),
        ("notifications", "0003_urge_notices"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables stay where they are: only Django's idea of which app owns them moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AssignmentMonth",
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
                        ("year", models.PositiveSmallIntegerField(verbose_name="年")),
                        ("month", models.PositiveSmallIntegerField(verbose_name="月")),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("missing", "未填报"),
                                    ("draft", "草稿"),
                                    ("submitted", "待审核"),
                                    ("approved", "已审核"),
                                    ("returned", "已退回"),
                                ],
                                default="missing",
                                max_length=10,
                                verbose_name="状态",
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("not_started", "未启动"),
                                    ("in_progress", "推进中"),
                                    ("completed", "已完成"),
                                    ("lagging", "滞后"),
                                ],
                                max_length=20,
                                verbose_name="进展状态",
                            ),
                        ),
                        (
                            "deadline",
                            models.DateField(
                                help_text="含已批准的延期。", verbose_name="填报截止日"
                            ),
                        ),
                        (
                            "first_submitted_on",
                            models.DateField(blank=True, null=True, verbose_name="首次提交日期"),
                        ),
                        (
                            "targets_total",
                            models.PositiveSmallIntegerField(default=0, verbose_name="指标数"),
                        ),
                        (
                            "targets_met",
                            models.PositiveSmallIntegerField(default=0, verbose_name="达标指标数"),
                        ),
                        (
                            "targets_behind",
                            models.PositiveSmallIntegerField(default=0, verbose_name="滞后指标数"),
                        ),
                        (
                            "is_complete",
                            models.BooleanField(
                                default=False,
                                help_text="月报已审核,且指标全部达标(无量化指标的任务:进展状态为已完成)。",
                                verbose_name="已完成",
                            ),
                        ),
                        (
                            "assignment",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="months",
                                to="tasks.assignment",
                                verbose_name="任务分派",
                            ),
                        ),
                        (
                            "community",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="communities.community",
                                verbose_name="社区",
                            ),
                        ),
                        (
                            "item",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="tasks.item",
                                verbose_name="任务",
                            ),
                        ),
                        (
                            "pillar",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="tasks.pillar",
                                verbose_name="板块",
                            ),
                        ),
                        (
                            "report",
                            models.OneToOneField(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="summary",
                                to="tasks.progressreport",
                                verbose_name="月报",
                            ),
                        ),
                        (
                            "unit",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="communities.unit",
                                verbose_name="单位",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "月度任务汇总",
                        "verbose_name_plural": "月度任务汇总",
                        "db_table": "assessments_assignmentmonth",
                        "permissions": [
                            ("view_dashboard", "查看完成情况看板"),
                            ("urge_parties", "向责任单位发出催办"),
                        ],
                        "indexes": [
                            models.Index(
                                fields=["year", "month", "item"],
                                include=(
                                    "first_submitted_on",
                                    "deadline",
                                    "state",
                                    "is_complete",
                                    "targets_behind",
                                    "assignment",
                                ),
                                name="summary_month_item_cover",
                            ),
                            models.Index(
                                fields=["community", "year", "month"],
                                name="summary_community_month",
                            ),
                            models.Index(
                                fields=["unit", "year", "month"], name="summary_unit_month"
                            ),
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("assignment", "year", "month"),
                                name="summary_unique_assignment_month",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="PartyMonth",
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
                        ("year", models.PositiveSmallIntegerField(verbose_name="年")),
                        ("month", models.PositiveSmallIntegerField(verbose_name="月")),
                        ("expected", models.PositiveIntegerField(default=0, verbose_name="应报")),
                        ("received", models.PositiveIntegerField(default=0, verbose_name="已报")),
                        (
                            "on_time",
                            models.PositiveIntegerField(default=0, verbose_name="按时报送"),
                        ),
                        ("approved", models.PositiveIntegerField(default=0, verbose_name="已审核")),
                        ("returned", models.PositiveIntegerField(default=0, verbose_name="已退回")),
                        ("complete", models.PositiveIntegerField(default=0, verbose_name="已完成")),
                        (
                            "behind",
                            models.PositiveIntegerField(default=0, verbose_name="指标滞后的任务"),
                        ),
                        (
                            "community",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="communities.community",
                                verbose_name="社区",
                            ),
                        ),
                        (
                            "unit",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="communities.unit",
                                verbose_name="单位",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "月度单位汇总",
                        "verbose_name_plural": "月度单位汇总",
                        "db_table": "assessments_partymonth",
                        "indexes": [
                            models.Index(fields=["year", "month"], name="party_month_period")
                        ],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    models.Q(("community__isnull", False), ("unit__isnull", True)),
                                    models.Q(("community__isnull", True), ("unit__isnull", False)),
                                    _connector="OR",
                                ),
                                name="party_month_has_exactly_one_party",
                            ),
                            models.UniqueConstraint(
                                condition=models.Q(("community__isnull", False)),
                                fields=("community", "year", "month"),
                                name="party_month_unique_community",
                            ),
                            models.UniqueConstraint(
                                condition=models.Q(("unit__isnull", False)),
                                fields=("unit", "year", "month"),
                                name="party_month_unique_unit",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="UrgeNotice",
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
                        ("year", models.PositiveSmallIntegerField(verbose_name="年")),
                        ("month", models.PositiveSmallIntegerField(verbose_name="月")),
                        ("text", models.TextField(verbose_name="催办内容")),
                        (
                            "sent_at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, verbose_name="催办时间"
                            ),
                        ),
                        (
                            "sent_on",
                            models.DateField(
                                help_text="催办时间在上海时区的日期:同一月报同一天只催办一次。",
                                verbose_name="催办日期",
                            ),
                        ),
                        (
                            "acknowledged_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="确认时间"),
                        ),
                        (
                            "acknowledged_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="确认人",
                            ),
                        ),
                        (
                            "assignment",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="urge_notices",
                                to="tasks.assignment",
                                verbose_name="任务分派",
                            ),
                        ),
                        (
                            "sent_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="催办人",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "催办",
                        "verbose_name_plural": "催办",
                        "db_table": "notifications_urgenotice",
                        "ordering": ["-sent_at", "-pk"],
                        "indexes": [
                            models.Index(fields=["assignment", "year", "month"], name="urge_cell")
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("acknowledged_at__isnull", True)),
                                fields=("assignment", "year", "month", "sent_on"),
                                name="urge_one_pending_per_cell_and_day",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("month__gte", 1), ("month__lte", 12)),
                                name="urge_month_range",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("acknowledged_at__isnull", True),
                                    ("acknowledged_by__isnull", False),
                                    _connector="OR",
                                ),
                                name="urge_acknowledged_by_someone",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(*content_types_follow(MOVES)),
        migrations.RunPython(rename_queued_rebuilds, rename_queued_rebuilds_back),
    ]
