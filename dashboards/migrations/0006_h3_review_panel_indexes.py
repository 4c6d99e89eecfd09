"""The indexes a lead unit's home page reads from (``home.panels.review_panel``): the
reports waiting on its items, and a month's unfiled cells of its items with their parties,
each an index-only scan whatever the number of communities."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0005_party_month_order"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="assignmentmonth",
            index=models.Index(
                condition=models.Q(("state", "submitted")),
                fields=["item"],
                name="summary_item_submitted",
            ),
        ),
        migrations.AddIndex(
            model_name="assignmentmonth",
            index=models.Index(
                condition=models.Q(("first_submitted_on__isnull", True)),
                fields=["year", "month", "item"],
                include=["deadline", "community", "unit", "assignment"],
                name="summary_month_item_unfiled",
            ),
        ),
    ]
