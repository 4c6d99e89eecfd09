"""The daily job that recomputes the summary rows of the items judged from the meeting
register (edited later in the admin, 周期任务)."""

from django.db import migrations

from core.migration_schedules import crontab_schedule


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        crontab_schedule(
            name="看板:每日重算按会议台账评判的任务",
            task="dashboards.summaries_refresh_registered",
            minute="20",
            hour="0",
            description="例会类任务的月份会随时间由推进中变为达标或滞后,每天凌晨重算一次看板汇总。",
        )
    ]
