"""A sitter's exact service location is encrypted at rest (search keeps the fuzzed search point in clear).

Each existing latitude/longitude is cast to text by the schema change and then
sealed to its row; backwards, decrypted and cast back to ``double precision``.
The range checks move to the API; "both or neither" stays in the database.
"""

import guardiannest.crypto.fields
from django.db import migrations

from guardiannest.crypto.migration_ops import seal_columns


class Migration(migrations.Migration):

    dependencies = [
        ('sitters', '0005_review_reply_flag_and_reliability'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='sitterprofile',
            name='sitters_profile_latitude_range',
        ),
        migrations.RemoveConstraint(
            model_name='sitterprofile',
            name='sitters_profile_longitude_range',
        ),
        migrations.AlterField(
            model_name='sitterprofile',
            name='latitude',
            field=guardiannest.crypto.fields.EncryptedFloatField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='sitterprofile',
            name='longitude',
            field=guardiannest.crypto.fields.EncryptedFloatField(blank=True, null=True),
        ),
        seal_columns("sitters", "SitterProfile", "latitude", "longitude"),
    ]
