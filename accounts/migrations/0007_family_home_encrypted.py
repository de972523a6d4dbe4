"""A family's home point is encrypted at rest, like its address (the range checks move to the API).

Each existing latitude/longitude is cast to text by the schema change and then
sealed to its row; backwards, decrypted and cast back to ``numeric``.
"""

import guardiannest.crypto.fields
from django.db import migrations

from guardiannest.crypto.migration_ops import seal_columns


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_totp_device_encrypted_key'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='parentprofile',
            name='accounts_parentprofile_latitude_range',
        ),
        migrations.RemoveConstraint(
            model_name='parentprofile',
            name='accounts_parentprofile_longitude_range',
        ),
        migrations.AlterField(
            model_name='parentprofile',
            name='latitude',
            field=guardiannest.crypto.fields.EncryptedDecimalField(blank=True, decimal_places=6, null=True),
        ),
        migrations.AlterField(
            model_name='parentprofile',
            name='longitude',
            field=guardiannest.crypto.fields.EncryptedDecimalField(blank=True, decimal_places=6, null=True),
        ),
        seal_columns("accounts", "ParentProfile", "latitude", "longitude"),
    ]
