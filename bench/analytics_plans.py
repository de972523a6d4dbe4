"""The analytics queries' plans and times on a few thousand rows: do they need indexes or an aggregate table?

Fills a database (``ANALYTICS_BENCH_DB``, default ``gn_analytics``: migrated, filled once, reused) with two
years of history: PARENTS parents, SITTERS sitters with profiles, BOOKINGS bookings with their events
(request, answer, and for most confirmation, check-in and check-out), a capture per completed booking
and some refunds in the ledger, reliability outcomes. Then, for each endpoint and window (30 days by day,
a year by month, two years by week), captures the statements the selectors send and runs
EXPLAIN (ANALYZE, BUFFERS) on each: first as the schema stands, then with candidate indexes on the
other columns the windows filter (created in a transaction, analysed, rolled back). One JSON object on stdout.

Seen here (6,000 bookings, 30,000 events, 30,000 ledger entries, 2,300 users; 2 cores): without
indexes on the events' and the ledger's created_at, 30 days by day cost 9.2 ms (booking figures) and
2.3 ms (revenue) in sequential scans, 2.1 and 0.7 ms with them; a year or two years read most rows
whatever the index (two years by week: 25-67 ms for the booking figures over runs on a shared machine,
the most of any statement; 141-241 ms for all 22 statements). The other candidates save less than
0.5 ms each. No aggregate table yet: worth it once two years of figures take seconds.

    .venv/bin/python bench/analytics_plans.py [--bookings 6000] [--reload]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DB = os.environ.get("ANALYTICS_BENCH_DB", "gn_analytics")
os.environ.setdefault("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DB}")
os.environ.setdefault("DATABASE_POOL", "false")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guardiannest.settings")
os.environ.setdefault("DEBUG", "true")  # the development secrets; nothing is served
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from analytics.selectors.bookings import (  # noqa: E402
    booking_area_list,
    booking_figures_list,
    booking_patterns_get,
    reliability_list,
)
from analytics.selectors.periods import Interval, Window  # noqa: E402
from analytics.selectors.retention import retention_list  # noqa: E402
from analytics.selectors.revenue import revenue_list  # noqa: E402
from analytics.selectors.users import active_user_list, signup_list  # noqa: E402

# Indexes the schema does not have (bookings_event_created and payments_ledger_created it has: chosen by
# this benchmark), measured for the record.
CANDIDATES = [
    "CREATE INDEX bench_event_created ON bookings_bookingevent (created_at)",
    "CREATE INDEX bench_booking_created ON bookings_booking (created_at)",
    "CREATE INDEX bench_ledger_created ON payments_ledgerentry (created_at)",
    "CREATE INDEX bench_user_joined ON accounts_user (date_joined)",
    "CREATE INDEX bench_reliability_occurred ON sitters_reliabilityevent (occurred_at)",
]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def fill(bookings: int) -> dict[str, int]:
    """Two years of history, in SQL (generate_series): the same shape the services leave.

    The profiles have no location (the real one is encrypted for its row, which SQL cannot write): the
    areas query joins them all the same and groups every booking under the null area.
    """
    parents, sitters = bookings // 3, max(bookings // 20, 10)
    with connection.cursor() as cursor, transaction.atomic():
        cursor.execute(
            """
            INSERT INTO accounts_user (id, password, email, role, first_name, last_name, phone, is_active,
                is_staff, is_superuser, date_joined, updated_at)
            SELECT gen_random_uuid(), '!', 'bench' || n || '@example.com',
                   CASE WHEN n <= %(sitters)s THEN 'sitter' ELSE 'parent' END, '', '', '', true, false, false,
                   now() - (random() * interval '730 days'), now()
            FROM generate_series(1, %(users)s) AS n
            """,
            {"sitters": sitters, "users": parents + sitters},
        )
        cursor.execute(
            """
            INSERT INTO sitters_sitterprofile (user_id, bio, hourly_rate, currency, years_experience, languages,
                age_groups_mask, search_latitude, search_longitude, service_radius_km, timezone,
                verification_status, rating_count, created_at, updated_at)
            SELECT id, '', 2500, 'eur', 3, '[]', 0, NULL, NULL, 10,
                   'Europe/Berlin', 'verified', 0, now(), now()
            FROM accounts_user WHERE role = 'sitter' AND email LIKE 'bench%%'
            """
        )
        cursor.execute(
            """
            WITH p AS (SELECT id, row_number() OVER () AS n FROM accounts_user
                       WHERE role = 'parent' AND email LIKE 'bench%%'),
                 s AS (SELECT id, row_number() OVER () AS n FROM accounts_user
                       WHERE role = 'sitter' AND email LIKE 'bench%%'),
                 b AS (SELECT n, now() - (random() * interval '730 days') AS at FROM generate_series(1, %(bookings)s) n)
            INSERT INTO bookings_booking (id, parent_id, sitter_id, starts_at, ends_at, timezone, hourly_rate,
                price_amount, currency, status, notes, expires_at, cancellation_fee_amount, cancel_reason,
                check_in_flagged, hours_status, created_at, updated_at, checked_in_at)
            SELECT gen_random_uuid(), p.id, s.id, b.at + interval '2 days', b.at + interval '2 days 3 hours',
                   'Europe/Berlin', 2500, 7500, 'eur', 'completed', '', b.at + interval '1 day', 0, '', false,
                   'none', b.at, now(), b.at + interval '2 days'
            FROM b JOIN p ON p.n = 1 + b.n %% %(parents)s JOIN s ON s.n = 1 + b.n %% %(sitters)s
            """,
            {"bookings": bookings, "parents": parents, "sitters": sitters},
        )
        # Request, accept after up to 2 h, confirm, check in, check out: five events a booking.
        cursor.execute(
            """
            INSERT INTO bookings_bookingevent (booking_id, actor_id, from_status, to_status, reason, data, created_at)
            SELECT b.id, CASE WHEN m.actor = 'p' THEN b.parent_id WHEN m.actor = 's' THEN b.sitter_id END,
                   m.f, m.t, '', '{}', b.created_at + m.after * (0.5 + random())
            FROM bookings_booking b CROSS JOIN (VALUES
                ('', 'requested', 'p', interval '0'), ('requested', 'accepted', 's', interval '1 hour'),
                ('accepted', 'confirmed', '', interval '1 hour 1 minute'),
                ('confirmed', 'in_progress', 's', interval '2 days'),
                ('in_progress', 'completed', 's', interval '2 days 3 hours')) AS m(f, t, actor, after)
            """
        )
        cursor.execute(
            """
            INSERT INTO payments_payment (id, payer_id, payee_id, reference, amount, currency, fee_amount,
                captured_amount, refunded_amount, status, provider, client_secret, attempts, last_error_code,
                created_at, updated_at, reauthorisations)
            SELECT gen_random_uuid(), parent_id, sitter_id, id::text, 7500, 'eur', 1125, 7500, 0, 'captured',
                   'simulated', '', 1, '', created_at, now(), 0
            FROM bookings_booking
            """
        )
        cursor.execute(
            """
            INSERT INTO payments_ledgerentry (transaction_id, kind, payment_id, account, side, amount, currency,
                created_at)
            SELECT t.tx, 'capture', p.id, l.account, l.side, l.amount, 'eur', p.created_at + interval '2 days'
            FROM (SELECT id, created_at, gen_random_uuid() AS tx FROM payments_payment) p
            JOIN payments_payment USING (id)
            CROSS JOIN LATERAL (SELECT p.tx) t
            CROSS JOIN (VALUES ('parent_card', 'debit', 7500), ('parent_card_hold', 'credit', 7500),
                ('provider_clearing', 'debit', 7500), ('sitter_payable', 'credit', 6375),
                ('platform_fees', 'credit', 1125)) AS l(account, side, amount)
            """
        )
        cursor.execute(
            """
            INSERT INTO sitters_reliabilityevent (id, sitter_id, kind, booking_id, occurred_at)
            SELECT gen_random_uuid(), sitter_id, 'completed', id, created_at + interval '2 days 3 hours'
            FROM bookings_booking
            """
        )
        cursor.execute("ANALYZE")
    counts = {}
    with connection.cursor() as cursor:
        for table in ("accounts_user", "bookings_booking", "bookings_bookingevent", "payments_ledgerentry"):
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    return counts


def statements() -> list[tuple[str, Any]]:
    today = datetime.now(UTC).date()
    windows = {
        "30 days by day": Window(today - timedelta(days=29), today + timedelta(days=1), Interval.DAY),
        "a year by month": Window(today - timedelta(days=364), today + timedelta(days=1), Interval.MONTH),
        "two years by week": Window(today - timedelta(days=730), today + timedelta(days=1), Interval.WEEK),
    }
    calls = {
        "bookings.figures": booking_figures_list,
        "bookings.reliability": reliability_list,
        "bookings.patterns": booking_patterns_get,
        "bookings.areas": booking_area_list,
        "revenue": revenue_list,
        "users.signups": signup_list,
        "users.active": active_user_list,
        "retention": retention_list,
    }
    found = []
    for window_name, window in windows.items():
        for name, call in calls.items():
            if name == "retention" and window.interval is Interval.DAY:
                continue
            with CaptureQueriesContext(connection) as captured:
                call(window=window)
            found += [(f"{name} / {window_name}", query["sql"]) for query in captured.captured_queries]
    return found


def explain(sql: str) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0][0]
    scans: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        if "Scan" in node["Node Type"]:
            scans.append(f"{node['Node Type']} {node.get('Relation Name', '')} {node.get('Index Name', '')}".strip())
        for child in node.get("Plans", []):
            walk(child)

    walk(plan["Plan"])
    return {"ms": round(plan["Execution Time"], 2), "scans": scans}


def measure(queries: list[tuple[str, str]], repeat: int = 3) -> dict[str, Any]:
    result = {}
    for label, sql in queries:
        runs = [explain(sql) for _ in range(repeat)]
        result[label] = {"ms": min(run["ms"] for run in runs), "scans": runs[-1]["scans"]}
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=6000)
    parser.add_argument("--reload", action="store_true")
    args = parser.parse_args()
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    loaded = User.objects.filter(email__startswith="bench", role=Role.PARENT).exists()
    if args.reload or not loaded:
        log("filling…")
        with connection.cursor() as cursor:
            for table in (
                "sitters_reliabilityevent",
                "payments_ledgerentry",
                "payments_payment",
                "bookings_bookingevent",
                "bookings_booking",
                "sitters_sitterprofile",
            ):
                cursor.execute(f"DELETE FROM {table}")
            cursor.execute("DELETE FROM accounts_user WHERE email LIKE 'bench%%'")
        counts = fill(args.bookings)
    else:
        counts = {}
    queries = statements()
    as_is = measure(queries)
    with transaction.atomic():
        with connection.cursor() as cursor:
            for statement in CANDIDATES:
                cursor.execute(statement)
            cursor.execute("ANALYZE")
        indexed = measure(queries)
        transaction.set_rollback(True)
    print(
        json.dumps(
            {
                "rows": counts,
                "statements": {label: {"as_is": as_is[label], "with_indexes": indexed[label]} for label in as_is},
                "total_ms": {
                    "as_is": round(sum(v["ms"] for v in as_is.values()), 1),
                    "with_indexes": round(sum(v["ms"] for v in indexed.values()), 1),
                },
                "seconds": round(time.monotonic() - started, 1),
                "date": date.today().isoformat(),
            }
        )
    )


if __name__ == "__main__":
    main()
