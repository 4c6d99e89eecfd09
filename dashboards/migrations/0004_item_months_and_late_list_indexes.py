"""The items' months (``ItemMonth``): a month's figures per item, added up here from the
summary rows already stored (``summaries --rebuild`` and every summary write keep them
since); and the partial indexes the dashboard's late list and excepted cells read in their
order."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count, F, Q


def item_months_fill(apps, schema_editor):
    assignment_month = apps.get_model("dashboards", "AssignmentMonth")
    item_month = apps.get_model("dashboards", "ItemMonth")
    received = Q(first_submitted_on__isnull=False)
    rows = (
        assignment_month.objects.values("item_id", "year", "month", "deadline")
        .annotate(
            expected=Count("assignment"),
            received=Count("assignment", filter=received),
            on_time=Count("assignment", filter=Q(first_submitted_on__lte=F("deadline"))),
            approved=Count("assignment", filter=Q(state="approved")),
            returned=Count("assignment", filter=Q(state="returned")),
            complete=Count("assignment", filter=Q(is_complete=True)),
            behind=Count(
                "assignment",
                filter=Q(targets_behind__gt=0, state__in=("submitted", "approved", "missing")),
            ),
            late_filed=Count("assignment", filter=Q(first_submitted_on__gt=F("deadline"))),
            excepted=Count("assignment", filter=Q(targets_excepted__gt=0)),
            unfiled=Count("assignment", filter=Q(first_submitted_on__isnull=True)),
        )
        .order_by()
    )
    item_month.objects.bulk_create((item_month(**row) for row in rows), batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("communities", "0004_community_order_index"),
        ("dashboards", "0003_targets_excepted_by_an_accepted_exception"),
        ("tasks", "0010_report_state_period_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="ItemMonth",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("year", models.PositiveSmallIntegerField(verbose_name="年")),
                ("month", models.PositiveSmallIntegerField(verbose_name="月")),
                (
                    "deadline",
                    models.DateField(help_text="含已批准的延期。", verbose_name="填报截止日"),
                ),
                ("expected", models.PositiveIntegerField(default=0, verbose_name="应报")),
                ("received", models.PositiveIntegerField(default=0, verbose_name="已报")),
                ("on_time", models.PositiveIntegerField(default=0, verbose_name="按时报送")),
                ("approved", models.PositiveIntegerField(default=0, verbose_name="已审核")),
                ("returned", models.PositiveIntegerField(default=0, verbose_name="已退回")),
                ("complete", models.PositiveIntegerField(default=0, verbose_name="已完成")),
                ("behind", models.PositiveIntegerField(default=0, verbose_name="指标滞后的任务")),
                ("late_filed", models.PositiveIntegerField(default=0, verbose_name="逾期报送")),
                ("excepted", models.PositiveIntegerField(default=0, verbose_name="例外已认可")),
                ("unfiled", models.PositiveIntegerField(default=0, verbose_name="未提交")),
            ],
            options={
                "verbose_name": "月度任务项汇总",
                "verbose_name_plural": "月度任务项汇总",
            },
        ),
        migrations.AddIndex(
            model_name="assignmentmonth",
            index=models.Index(
                condition=models.Q(("first_submitted_on__isnull", True)),
                fields=["year", "month", "deadline", "assignment"],
                name="summary_month_unfiled",
            ),
        ),
        migrations.AddIndex(
            model_name="assignmentmonth",
            index=models.Index(
                condition=models.Q(("first_submitted_on__gt", models.F("deadline"))),
                fields=["year", "month", "first_submitted_on", "deadline", "assignment"],
                name="summary_month_filed_late",
            ),
        ),
        migrations.AddIndex(
            model_name="assignmentmonth",
            index=models.Index(
                condition=models.Q(("targets_excepted__gt", 0)),
                fields=["year", "month", "item"],
                name="summary_month_excepted",
            ),
        ),
        migrations.AddField(
            model_name="itemmonth",
            name="item",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="tasks.item",
                verbose_name="任务",
            ),
        ),
        migrations.AddConstraint(
            model_name="itemmonth",
            constraint=models.UniqueConstraint(
                fields=("year", "month", "item", "deadline"), name="item_month_unique"
            ),
        ),
        migrations.RunPython(item_months_fill, migrations.RunPython.noop, elidable=True),
    ]
