"""The nightly job that purges audit records older than AUDIT_RETENTION_DAYS (edited later
in the admin, 周期任务)."""

from django.db import migrations

from core.migration_schedules import crontab_schedule


class Migration(migrations.Migration):
    dependencies = [
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        crontab_schedule(
            name="修改记录:每日清理超过保存期限的记录",
            task="audit.audit_purge",
            minute="40",
            hour="2",
            description="修改记录和登录记录至少保存 AUDIT_RETENTION_DAYS 天(不少于 180 天),"
            "每天凌晨清理更早的记录。",
        )
    ]
