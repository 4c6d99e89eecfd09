# A checklist owes reports from the month it takes effect, not from January: the 2017
# plan was issued on 28 June 2017, so nothing of January–June 2017 was ever owed. The date
# it takes effect starts as the issue date; the street admin may change it in the admin.

from django.db import migrations, models
from django.db.models import F


def fill_takes_effect_on(apps, schema_editor):
    Checklist = apps.get_model("tasks", "Checklist")
    Checklist.objects.filter(takes_effect_on__isnull=True).update(takes_effect_on=F("issued_on"))


class Migration(migrations.Migration):

    dependencies = [
        ("tasks", "0005_target_threshold_required"),
    ]

    operations = [
        migrations.AddField(
            model_name="checklist",
            name="takes_effect_on",
            field=models.DateField(
                blank=True,
                help_text="自生效日期的次月起须报月度进展(1日生效的,当月起);不填则取发文日期,两者都没有则从1月起。",
                null=True,
                verbose_name="生效日期",
            ),
        ),
        migrations.RunPython(fill_takes_effect_on, migrations.RunPython.noop),
    ]
