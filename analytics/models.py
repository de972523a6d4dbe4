"""Analytics keeps no table of its own: one permission-only model names who may read the figures."""

from __future__ import annotations

from django.db import models

__all__ = ["Analytics"]


class Analytics(models.Model):
    """No table: carries ``analytics.view_analytics`` and puts "Analytics" in the admin's app list."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_analytics", "Can view the analytics figures")]
        verbose_name = "analytics"
        verbose_name_plural = "analytics"

    def __str__(self) -> str:
        return "analytics"
