"""The no-overlap rules of holds and spans, declared on the models (``sitters.models.constraints``).

Migration 0002 created both exclusion constraints in raw SQL on PostgreSQL.
The declared ones compile to the very same definition (``pg_get_constraintdef``
is identical: ``sitters/tests/test_calendar_constraints.py`` compares them), so
this migration records them in the model state only: on PostgreSQL the raw
constraint already is the declared one, and no GiST index over the spans is
rebuilt under a table lock on deploy; SQLite, where 0002 created nothing,
has nothing to create either (the declared constraint gives no SQL there).
From here on ``makemigrations --check`` guards them like any other constraint.
"""

import django.contrib.postgres.fields.ranges
from django.db import migrations

import sitters.models.constraints


def _no_overlap(name: str) -> sitters.models.constraints.PostgreSQLExclusionConstraint:
    return sitters.models.constraints.PostgreSQLExclusionConstraint(
        expressions=[
            ("sitter", "="),
            (
                sitters.models.constraints.TsTzRange(
                    "starts_at", "ends_at", django.contrib.postgres.fields.ranges.RangeBoundary()
                ),
                "&&",
            ),
        ],
        name=name,
    )


class Migration(migrations.Migration):
    dependencies = [("sitters", "0002_postgresql_geo_and_calendar")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddConstraint(
                    model_name="availabilityspan", constraint=_no_overlap("sitters_span_no_overlap")
                ),
                migrations.AddConstraint(model_name="hold", constraint=_no_overlap("sitters_hold_no_overlap")),
            ],
        ),
    ]
