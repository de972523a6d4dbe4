"""PostgreSQL-only parts of the sitter tables (skipped on the SQLite embedded default).

- Holds of one sitter never overlap: an exclusion constraint (btree_gist).
  SQLite keeps the same rule in ``sitters.services.calendar`` under its
  IMMEDIATE write lock.
- Spans of one sitter never overlap either (the calendar service merges
  them): search's free-range test reads "the last span starting at or before
  start" from the (sitter_id, starts_at) btree, which is exact only because
  of this, so the database holds the rule too.
- Geo search uses earthdistance's ll_to_earth with a GiST expression index on
  the profile's search point (the service location moved by a random offset);
  on a sphere, so it is right across the date line and at the poles.
"""

from django.db import migrations

from guardiannest.dbops import PostgreSQLOnlyRunSQL

EXTENSIONS = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS earthdistance;
"""

HOLD_NO_OVERLAP = """
ALTER TABLE sitters_hold ADD CONSTRAINT sitters_hold_no_overlap
    EXCLUDE USING gist (sitter_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&);
"""

SPANS_NO_OVERLAP = """
ALTER TABLE sitters_availabilityspan ADD CONSTRAINT sitters_span_no_overlap
    EXCLUDE USING gist (sitter_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&);
"""

PROFILE_EARTH_INDEX = """
CREATE INDEX sitters_profile_earth ON sitters_sitterprofile
    USING gist (ll_to_earth(search_latitude, search_longitude)) WHERE search_latitude IS NOT NULL;
"""


class Migration(migrations.Migration):
    dependencies = [("sitters", "0001_initial")]

    operations = [
        PostgreSQLOnlyRunSQL(EXTENSIONS, reverse_sql=migrations.RunSQL.noop),
        PostgreSQLOnlyRunSQL(
            HOLD_NO_OVERLAP, reverse_sql="ALTER TABLE sitters_hold DROP CONSTRAINT sitters_hold_no_overlap;"
        ),
        PostgreSQLOnlyRunSQL(
            SPANS_NO_OVERLAP,
            reverse_sql="ALTER TABLE sitters_availabilityspan DROP CONSTRAINT sitters_span_no_overlap;",
        ),
        PostgreSQLOnlyRunSQL(PROFILE_EARTH_INDEX, reverse_sql="DROP INDEX sitters_profile_earth;"),
    ]
