from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0006_criterion_pillar"),
        ("dashboards", "0001_initial"),
    ]

    operations = [
        # The tables stay where they are: only Django's idea of which app owns them moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="partymonth",
                    name="community",
                ),
                migrations.RemoveField(
                    model_name="partymonth",
                    name="unit",
                ),
                migrations.DeleteModel(
                    name="AssignmentMonth",
                ),
                migrations.DeleteModel(
                    name="PartyMonth",
                ),
            ],
            database_operations=[],
        ),
    ]
