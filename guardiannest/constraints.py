"""Database constraints more than one app needs."""

from __future__ import annotations

from django.db import models


def coordinate_constraints(
    prefix: str, *, latitude: str = "latitude", longitude: str = "longitude"
) -> list[models.CheckConstraint]:
    """A point in degrees: latitude within ±90, longitude within ±180, and both set or both empty."""
    both_empty = models.Q(**{f"{latitude}__isnull": True, f"{longitude}__isnull": True})
    both_set = models.Q(**{f"{latitude}__isnull": False, f"{longitude}__isnull": False})
    return [
        models.CheckConstraint(
            condition=models.Q(**{f"{latitude}__isnull": True})
            | models.Q(**{f"{latitude}__gte": -90, f"{latitude}__lte": 90}),
            name=f"{prefix}_latitude_range",
        ),
        models.CheckConstraint(
            condition=models.Q(**{f"{longitude}__isnull": True})
            | models.Q(**{f"{longitude}__gte": -180, f"{longitude}__lte": 180}),
            name=f"{prefix}_longitude_range",
        ),
        models.CheckConstraint(condition=both_empty | both_set, name=f"{prefix}_coordinates_together"),
    ]
