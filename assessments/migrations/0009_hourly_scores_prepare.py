"""The hourly job that keeps the stored scores current (edited later in the admin, 周期任务)."""

from django.db import migrations

from core.migration_schedules import crontab_schedule


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0008_score_summary"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        crontab_schedule(
            name="考核:每小时更新考核得分汇总",
            task="assessments.scores_prepare",
            minute="5",
            description="本月得分随日期变化,调整考核项或批量导入后全月需重算:"
            "提前算好,首位查看排名的人不必等待。",
        )
    ]
