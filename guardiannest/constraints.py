"""Database constraints more than one app needs."""

from __future__ import annotations

from django.db import models

from guardiannest.fields import LATITUDE_LIMIT, LONGITUDE_LIMIT


def coordinate_constraints(
    prefix: str, *, latitude: str = "latitude", longitude: str = "longitude"
) -> list[models.CheckConstraint]:
    """A point in degrees (:mod:`guardiannest.fields`): latitude within ±90, longitude within ±180, both or neither."""
    return [
        models.CheckConstraint(
            condition=models.Q(**{f"{latitude}__isnull": True})
            | models.Q(**{f"{latitude}__gte": -LATITUDE_LIMIT, f"{latitude}__lte": LATITUDE_LIMIT}),
            name=f"{prefix}_latitude_range",
        ),
        models.CheckConstraint(
            condition=models.Q(**{f"{longitude}__isnull": True})
            | models.Q(**{f"{longitude}__gte": -LONGITUDE_LIMIT, f"{longitude}__lte": LONGITUDE_LIMIT}),
            name=f"{prefix}_longitude_range",
        ),
        coordinates_together_constraint(prefix, latitude=latitude, longitude=longitude),
    ]


def coordinates_together_constraint(
    prefix: str, *, latitude: str = "latitude", longitude: str = "longitude"
) -> models.CheckConstraint:
    """Both coordinates or neither: the one check an encrypted pair still allows (ranges are checked on the way in)."""
    both_empty = models.Q(**{f"{latitude}__isnull": True, f"{longitude}__isnull": True})
    both_set = models.Q(**{f"{latitude}__isnull": False, f"{longitude}__isnull": False})
    return models.CheckConstraint(condition=both_empty | both_set, name=f"{prefix}_coordinates_together")
