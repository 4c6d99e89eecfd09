"""The default schedules of the reminder jobs (edited later in the admin, 周期任务). The one
row of reminder settings is made when first read (``ReminderSettings.load``)."""

from django.db import migrations

SCHEDULES = [
    # name, task, crontab minute or interval seconds, description
    (
        "提醒:每 15 分钟检查到期事项",
        "notifications.reminders_run",
        {"crontab": "*/15"},
        "存下到期的提醒,每人汇成一条消息发出。停机错过的,恢复后补发一次。",
    ),
    (
        "提醒:补发未送达的消息",
        "notifications.messages_deliver",
        {"crontab": "*/5"},
        "重新发送失败或被中断的邮件和群消息。",
    ),
    (
        "投递待办任务(outbox)",
        "notifications.outbox_relay",
        {"seconds": 10},
        "把网页请求写下的任务交给 Celery。",
    ),
]


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, when, description in SCHEDULES:
        schedule = {}
        if "crontab" in when:
            schedule["crontab"], _ = CrontabSchedule.objects.get_or_create(
                minute=when["crontab"],
                hour="*",
                day_of_week="*",
                day_of_month="*",
                month_of_year="*",
                timezone="Asia/Shanghai",
            )
        else:
            schedule["interval"], _ = IntervalSchedule.objects.get_or_create(
                every=when["seconds"], period="seconds"
            )
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "description": description, **schedule}
        )


def remove(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, *_ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
