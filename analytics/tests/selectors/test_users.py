"""New and active users of the constructed March history, exactly."""

from __future__ import annotations

from datetime import date

from analytics.selectors.periods import Interval
from analytics.selectors.users import active_user_list, signup_list
from analytics.tests.conftest import History, march


def test_signups_per_week_leave_staff_out(history: History) -> None:
    assert signup_list(window=march(Interval.WEEK)) == [
        {"period": date(2026, 3, 2), "new_parents": 2, "new_sitters": 1, "new_users": 3},
        {"period": date(2026, 3, 9), "new_parents": 1, "new_sitters": 1, "new_users": 2},
    ]


def test_signups_per_day_and_month(history: History) -> None:
    days = signup_list(window=march(Interval.DAY))
    assert {row["period"].day: row["new_users"] for row in days if row["new_users"]} == {2: 2, 3: 1, 10: 1, 11: 1}
    assert signup_list(window=march(Interval.MONTH)) == [
        {"period": date(2026, 3, 1), "new_parents": 3, "new_sitters": 2, "new_users": 5}
    ]


def test_active_users_are_distinct_people_who_moved_a_booking(history: History) -> None:
    assert active_user_list(window=march(Interval.WEEK)) == [
        {"period": date(2026, 3, 2), "active_parents": 2, "active_sitters": 1, "active_users": 3},
        # p0, p1 and p3 requested; s2 never acted (one request expired, the other was withdrawn).
        {"period": date(2026, 3, 9), "active_parents": 3, "active_sitters": 1, "active_users": 4},
    ]
    assert active_user_list(window=march(Interval.MONTH))[0]["active_parents"] == 4
