"""The party's order copied onto its months (``PartyMonth.party_order``), and the index the
dashboard's parties furthest behind are read from in its order."""

import django.db.models.expressions
import django.db.models.lookups
from django.db import migrations, models
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def party_order_fill(apps, schema_editor):
    community = apps.get_model("communities", "Community")
    unit = apps.get_model("communities", "Unit")
    apps.get_model("dashboards", "PartyMonth").objects.update(
        party_order=Coalesce(
            Subquery(community.objects.filter(pk=OuterRef("community_id")).values("order")),
            Subquery(unit.objects.filter(pk=OuterRef("unit_id")).values("order")),
            Value(0),
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("communities", "0004_community_order_index"),
        ("dashboards", "0004_item_months_and_late_list_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="partymonth",
            name="party_order",
            field=models.PositiveIntegerField(db_default=0, default=0, verbose_name="排序"),
        ),
        migrations.AddIndex(
            model_name="partymonth",
            index=models.Index(
                models.F("year"),
                models.F("month"),
                django.db.models.expressions.CombinedExpression(
                    django.db.models.expressions.CombinedExpression(
                        models.F("complete"), "*", models.Value(1000)
                    ),
                    "/",
                    models.F("expected"),
                ),
                django.db.models.expressions.CombinedExpression(
                    django.db.models.expressions.CombinedExpression(
                        models.F("received"), "*", models.Value(1000)
                    ),
                    "/",
                    models.F("expected"),
                ),
                models.OrderBy(models.F("expected"), descending=True),
                django.db.models.lookups.IsNull(models.F("community"), True),
                models.F("party_order"),
                models.F("id"),
                condition=models.Q(("expected__gt", 0)),
                name="party_month_furthest_behind",
            ),
        ),
        migrations.RunPython(party_order_fill, migrations.RunPython.noop, elidable=True),
    ]
