"""Registries the apps fill when they load, so the core never imports an app.

Each app registers its contributions in its ``AppConfig.ready()``: demo data,
GDPR export and erasure, Celery beat entries and task routes (read by
``guardiannest.celery``). Features that span every app ask each registry for
the apps' contributions. An app that other apps contribute to keeps its own
typed :class:`Registry` (notification kinds, file access rules), filled the
same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any, Generic, NotRequired, TypedDict, TypeVar

from celery.schedules import BaseSchedule

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._items: dict[str, T] = {}

    def register(self, key: str, item: T) -> T:
        """Add ``item`` under ``key``; the same contribution again is a no-op, another one is refused."""
        if key in self._items and self._items[key] != item:
            raise ValueError(f"{self.name}: {key!r} is already registered")
        self._items[key] = item
        return item

    def unregister(self, key: str) -> T | None:
        """Take a contribution back (a test registers its own and removes it after)."""
        return self._items.pop(key, None)

    def get(self, key: str) -> T | None:
        return self._items.get(key)

    def items(self) -> list[tuple[str, T]]:
        return list(self._items.items())

    def __contains__(self, key: str) -> bool:
        return key in self._items


# A demo seeder creates its app's demo rows idempotently and returns the logins it made,
# as (who, email, password, note) rows for the printed table.
DemoLogin = tuple[str, str, str, str]
demo_seeders: Registry[Callable[[], list[DemoLogin]]] = Registry("demo_seeders")

# GDPR: each app exports the user's data it holds (a JSON-able dict under its name) and
# erases or anonymises it on account deletion (keeping financial and audit records).
gdpr_exporters: Registry[Callable[[Any], dict[str, Any]]] = Registry("gdpr_exporters")
gdpr_erasers: Registry[Callable[[Any], None]] = Registry("gdpr_erasers")


# --- Celery -----------------------------------------------------------------------------------
# Queues served by their own workers (compose.yaml: worker, worker-critical).
QUEUE_DEFAULT = "default"
QUEUE_CRITICAL = "critical"  # emergency work: never waits behind a batch job


class BeatEntry(TypedDict):
    """One periodic task, as Celery's ``beat_schedule`` takes it; registered under a unique entry name."""

    task: str
    schedule: float | timedelta | BaseSchedule
    args: NotRequired[tuple[Any, ...]]
    options: NotRequired[dict[str, Any]]


beat_entries: Registry[BeatEntry] = Registry("beat_entries")
# A task name, or a glob of names ("<app>.*"), to the queue its tasks go to; anything else
# goes to QUEUE_DEFAULT. Looked up when a task is sent (guardiannest.celery.route_task).
task_routes: Registry[str] = Registry("task_routes")
# Figures an app computes when Prometheus scrapes /metrics (from the database, so every web process
# answers the same): a callable returning prometheus_client metric families, e.g. the SOS figures of
# guardiannest.observability.sos_unacknowledged_metrics(...). Read by guardiannest.observability.
metric_collectors: Registry[Callable[[], Iterable[Any]]] = Registry("metric_collectors")


# --- The admin home (the back office's dashboard) ----------------------------------------------
# Each app registers what its staff must see first; guardiannest renders them and knows no app.


class DashboardPanel(TypedDict):
    """A figure on the admin home that asks for work: "3 checks wait for a decision".

    ``count`` runs one aggregate query (never loads rows); ``url`` is the admin page where the work
    is done (a changelist with its filter); ``permission`` is the permission a staff member needs to
    see the panel ("" for every staff member); ``urgent`` panels stand out whenever the count is not 0.
    ``live`` names the realtime event that changes the count ("emergency" for SOS alerts), or "".

    The panel's element on the page has the id ``<registry key>-count`` (keys are slugs:
    ``emergency``, ``verification-queue``). Optional:

    - ``unit``: "count" (the default), or a currency code ("EUR"): ``count`` then answers minor
      units (cents) and the page shows money;
    - ``attribute``: a ``data-*`` attribute (without ``data-``) that carries the count on the page
      for a script or a browser test, kept stable (``active-alerts``, say);
    - ``script``: the static path of a script that follows ``live`` on the page (a file, never inline:
      the CSP allows no inline script), loaded once whoever registers it, and ``script_data``: its
      ``data-*`` attributes (without ``data-``), computed when the page renders (``{"ticket-url": …}``).
      Both are shown only to staff who see the panel.
    """

    title: str
    order: int
    count: Callable[[], int]
    url: Callable[[], str]
    permission: str
    urgent: bool
    live: NotRequired[str]
    unit: NotRequired[str]
    attribute: NotRequired[str]
    script: NotRequired[str]
    script_data: NotRequired[Callable[[], dict[str, str]]]


class DashboardChart(TypedDict):
    """A chart on the admin home: ``points(start, end)`` answers ``[(period start, value), …]`` from one
    aggregate query over ``[start, end)`` (dates), one point per ``interval`` ("day" or "week");
    ``unit`` says how a value reads ("count", "EUR", "%").

    The admin home asks for the last 30 days ("day": ``start`` is 29 days before today, ``end`` is
    tomorrow) or the last 12 weeks ("week": ``start`` is a Monday, the current week included); a period
    without a point is drawn as 0, so ``points`` may leave empty periods out. A period start may be a
    date or a datetime (``TruncDay``/``TruncWeek``). For a currency unit ("EUR") values are minor units
    (cents), as everywhere on the platform; for "%" they are percentages (12.5 is 12.5 %).
    ``kind`` (optional) is "bar" (the default) or "line".
    """

    title: str
    order: int
    interval: str
    unit: str
    points: Callable[[Any, Any], list[tuple[Any, float]]]
    permission: str
    kind: NotRequired[str]


dashboard_panels: Registry[DashboardPanel] = Registry("dashboard_panels")
dashboard_charts: Registry[DashboardChart] = Registry("dashboard_charts")


# --- Staff roles (Django groups) ------------------------------------------------------------------
# The back office's roles. Each app says which of its permissions ("<app_label>.<codename>") each role
# holds, under the app's label: {"support": ("<app_label>.view_<model>", …), "finance": (…)}.
# guardiannest.staff_roles makes each role's group hold exactly the union after every migrate
# (and `manage.py staff_roles`).
STAFF_ROLES = ("support", "finance")
staff_role_permissions: Registry[dict[str, tuple[str, ...]]] = Registry("staff_role_permissions")
