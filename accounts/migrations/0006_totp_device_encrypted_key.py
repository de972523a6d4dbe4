"""The authenticator's secret moves to a table where it is encrypted (accounts.TOTPDevice).

django-otp's ``otp_totp_totpdevice`` kept the TOTP key as plain hex. If that
table exists (a database made before this migration), each of its rows is
copied here, its key sealed to the new row, and the old row deleted, so no
plaintext secret is left behind. Backwards, the rows go back as they were
(with new integer ids: an admin signed in with one must enter a code again).
The emptied legacy table is left in place for django-otp's migration history.
"""

import accounts.models.mfa
import django.db.models.deletion
import guardiannest.crypto.fields
from django.conf import settings
from django.db import migrations, models

LEGACY_TABLE = "otp_totp_totpdevice"
# Columns both tables share (the legacy one also has django-otp's throttle counters, unused here).
COLUMNS = ("user_id", "name", "confirmed", "key", "step", "t0", "digits", "tolerance", "drift", "last_t", "created_at", "last_used_at")


def _legacy_columns(schema_editor):
    """The legacy table's column names, or None when it does not exist."""
    connection = schema_editor.connection
    if LEGACY_TABLE not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        return {column.name for column in connection.introspection.get_table_description(cursor, LEGACY_TABLE)}


def seal_legacy_devices(apps, schema_editor):
    present = _legacy_columns(schema_editor)
    if not present:
        return
    columns = [column for column in COLUMNS if column in present]
    TOTPDevice = apps.get_model("accounts", "TOTPDevice")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {LEGACY_TABLE}")  # noqa: S608 - fixed names only
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        for row in rows:
            created_at = row.pop("created_at", None)
            device = TOTPDevice.objects.create(**row)  # pre_save seals the key to the new row
            if created_at is not None:  # auto_now_add stamped "now": keep the enrolment date
                TOTPDevice.objects.filter(pk=device.pk).update(created_at=created_at)
        cursor.execute(f"DELETE FROM {LEGACY_TABLE}")  # noqa: S608 - a fixed name


def unseal_devices(apps, schema_editor):
    present = _legacy_columns(schema_editor)
    if present is None:
        return  # no django-otp table to go back to: the devices go with the table this migration made
    columns = [column for column in COLUMNS if column in present]
    # django-otp's throttle counter is NOT NULL without a database default.
    extra = {"throttling_failure_count": 0} if "throttling_failure_count" in present else {}
    TOTPDevice = apps.get_model("accounts", "TOTPDevice")
    with schema_editor.connection.cursor() as cursor:
        for device in TOTPDevice.objects.order_by("created_at"):
            values = {column: getattr(device, column) for column in columns}  # the key decrypts on access
            names = [*values, *extra]
            placeholders = ", ".join(["%s"] * len(names))
            cursor.execute(
                f"INSERT INTO {LEGACY_TABLE} ({', '.join(names)}) VALUES ({placeholders})",  # noqa: S608 - fixed names
                [*values.values(), *extra.values()],
            )
        TOTPDevice.objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_session_end_refresh_reused'),
    ]

    operations = [
        migrations.CreateModel(
            name='TOTPDevice',
            fields=[
                ('name', models.CharField(help_text='The human-readable name of this device.', max_length=64)),
                ('confirmed', models.BooleanField(default=True, help_text='Is this device ready for use?')),
                ('created_at', models.DateTimeField(auto_now_add=True, help_text='The date and time when this device was initially created in the system.', null=True)),
                ('last_used_at', models.DateTimeField(blank=True, help_text='The most recent date and time this device was used.', null=True)),
                ('id', models.BigIntegerField(default=accounts.models.mfa.random_device_id, editable=False, primary_key=True, serialize=False)),
                ('key', guardiannest.crypto.fields.EncryptedCharField(default=accounts.models.mfa.default_key, help_text='A hex-encoded secret key of up to 40 bytes (encrypted at rest).', max_length=80, validators=[accounts.models.mfa.key_validator])),
                ('step', models.PositiveSmallIntegerField(default=30, help_text='The time step in seconds.')),
                ('t0', models.BigIntegerField(default=0, help_text='The Unix time at which to begin counting steps.')),
                ('digits', models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)),
                ('tolerance', models.PositiveSmallIntegerField(default=1, help_text='Time steps in the past or future to allow.')),
                ('drift', models.SmallIntegerField(default=0, help_text='Time steps the app is known to be off our clock.')),
                ('last_t', models.BigIntegerField(default=-1, help_text='The time step of the last accepted code.')),
            ],
            options={
                'verbose_name': 'TOTP device',
                'abstract': False,
            },
        ),
        migrations.AddField(
            model_name='totpdevice',
            name='user',
            field=models.ForeignKey(help_text='The user that this device belongs to.', on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(seal_legacy_devices, unseal_devices),
    ]
