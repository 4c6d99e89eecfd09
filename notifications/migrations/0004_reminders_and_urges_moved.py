from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_urge_notices"),
        ("dashboards", "0001_initial"),
        ("reminders", "0001_initial"),
    ]

    operations = [
        # The tables stay where they are: only Django's idea of which app owns them moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="reminder",
                    name="message",
                ),
                migrations.RemoveField(
                    model_name="reminder",
                    name="recipient",
                ),
                migrations.RemoveField(
                    model_name="reminder",
                    name="webhook",
                ),
                migrations.DeleteModel(
                    name="ReminderSettings",
                ),
                migrations.RemoveField(
                    model_name="urgenotice",
                    name="acknowledged_by",
                ),
                migrations.RemoveField(
                    model_name="urgenotice",
                    name="assignment",
                ),
                migrations.RemoveField(
                    model_name="urgenotice",
                    name="sent_by",
                ),
                migrations.DeleteModel(
                    name="Reminder",
                ),
                migrations.DeleteModel(
                    name="UrgeNotice",
                ),
            ],
            database_operations=[],
        ),
    ]
