"""A target judged 滞后 on a report whose exception the lead unit accepted (and whose
status that counts is not 滞后) no longer counts behind: it moves from ``targets_behind`` to
``targets_excepted``. The covering index of a month's figures carries the new column.

The rows already stored are moved here; the months without a report take the meeting
register's verdicts at the daily refresh (``dashboards.summaries_refresh_registered``), or
at once with ``manage.py summaries --rebuild``."""

from django.db import migrations, models


def excepted_move(apps, schema_editor):
    assignment_month = apps.get_model("dashboards", "AssignmentMonth")
    party_month = apps.get_model("dashboards", "PartyMonth")
    excepted = assignment_month.objects.filter(
        report__exception_state="accepted", targets_behind__gt=0
    ).exclude(status="lagging")
    periods = set()
    for row in excepted.only("pk", "targets_behind", "community_id", "unit_id", "year", "month"):
        assignment_month.objects.filter(pk=row.pk).update(
            targets_excepted=row.targets_behind, targets_behind=0
        )
        periods.add((row.community_id, row.unit_id, row.year, row.month))
    counted_behind = ("submitted", "approved", "missing")
    for community_id, unit_id, year, month in periods:
        period = {"community_id": community_id, "unit_id": unit_id, "year": year, "month": month}
        behind = assignment_month.objects.filter(
            targets_behind__gt=0, state__in=counted_behind, **period
        ).count()
        party_month.objects.filter(**period).update(behind=behind)


class Migration(migrations.Migration):
    dependencies = [
        ("communities", "0003_object_permissions"),
        ("dashboards", "0002_daily_register_refresh"),
        ("tasks", "0009_registered_denominators"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="assignmentmonth",
            name="summary_month_item_cover",
        ),
        migrations.AddField(
            model_name="assignmentmonth",
            name="targets_excepted",
            field=models.PositiveSmallIntegerField(
                default=0,
                help_text="指标判定滞后,但牵头单位已同意按申报状态认定,不计入滞后。",
                verbose_name="例外已认可的滞后指标数",
            ),
        ),
        migrations.AddIndex(
            model_name="assignmentmonth",
            index=models.Index(
                fields=["year", "month", "item"],
                include=(
                    "first_submitted_on",
                    "deadline",
                    "state",
                    "is_complete",
                    "targets_behind",
                    "targets_excepted",
                    "assignment",
                ),
                name="summary_month_item_cover",
            ),
        ),
        migrations.RunPython(excepted_move, migrations.RunPython.noop),
    ]
