"""Figures for the people who run the platform: bookings, revenue, users and retention over time."""

from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """Figures for the people who run the platform: bookings, revenue, users and retention over time.

    Analytics only reads (the other apps' tables, through the read replica when
    there is one) and sits at the bottom of the dependency order: no app imports it.
    """

    name = "analytics"
    verbose_name = "Analytics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from analytics.charts import register_charts
        from analytics.selectors.expressions import register_sqlite_percentile

        register_charts()
        # Staff roles: support and finance both read the figures (the admin's Analytics page and its charts).
        from guardiannest.registries import staff_role_permissions

        staff_role_permissions.register(
            "analytics",
            {"support": ("analytics.view_analytics",), "finance": ("analytics.view_analytics",)},
        )
        # The embedded default's SQLite has no percentile_cont: the same aggregate, in the database engine.
        register_sqlite_percentile()
