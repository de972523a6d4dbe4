"""What a location fix must look like, for the socket and for HTTP alike: one set of rules, fields named."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.dateparse import parse_datetime

from guardiannest.errors import invalid, invalid_fields

SIX_PLACES = Decimal("0.000001")
# A phone that reports a radius larger than this knows nothing useful about where it is.
ACCURACY_MAX_M = 100_000


@dataclass(frozen=True)
class Fix:
    latitude: Decimal
    longitude: Decimal
    accuracy_m: float | None
    recorded_at: datetime


def _number(
    item: Mapping[str, Any], name: str, low: float, high: float, errors: dict[str, list[str]], prefix: str
) -> float | None:
    value = item.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        errors[prefix + name] = [f"{name} must be a number."]
        return None
    if not low <= value <= high:
        errors[prefix + name] = [f"{name} must be between {low:g} and {high:g}."]
        return None
    return value


def _fix(item: Any, *, now: datetime, prefix: str, time_required: bool) -> Fix:
    if not isinstance(item, Mapping):
        raise invalid(prefix.rstrip(".") or "non_field_errors", "A location is an object.")
    errors: dict[str, list[str]] = {}
    latitude = _number(item, "latitude", -90, 90, errors, prefix)
    longitude = _number(item, "longitude", -180, 180, errors, prefix)
    accuracy = None
    if item.get("accuracy_m") is not None:
        accuracy = _number(item, "accuracy_m", 0, ACCURACY_MAX_M, errors, prefix)
    recorded_at = now
    raw_time = item.get("recorded_at")
    if raw_time is None:
        if time_required:
            errors[prefix + "recorded_at"] = ["recorded_at is required."]
    else:
        parsed = parse_datetime(raw_time) if isinstance(raw_time, str) else None
        if parsed is None or parsed.tzinfo is None:
            errors[prefix + "recorded_at"] = ["An ISO 8601 time with an offset."]
        elif parsed > now + timedelta(seconds=settings.LOCATION_FUTURE_SKEW_SECONDS):
            errors[prefix + "recorded_at"] = ["recorded_at is in the future."]
        elif parsed < now - timedelta(hours=settings.LOCATION_MAX_AGE_HOURS):
            errors[prefix + "recorded_at"] = ["recorded_at is too old."]
        else:
            recorded_at = parsed
    if errors:
        raise invalid_fields(errors)
    if latitude is None or longitude is None:  # pragma: no cover  (an error was recorded for each)
        raise invalid_fields(errors)
    return Fix(
        latitude=Decimal(str(latitude)).quantize(SIX_PLACES),
        longitude=Decimal(str(longitude)).quantize(SIX_PLACES),
        accuracy_m=None if accuracy is None else float(accuracy),
        recorded_at=recorded_at,
    )


def location_fixes_parse(raw: Any, *, now: datetime, time_required: bool = True) -> list[Fix]:
    """One fix (an object) or a batch (a list of at most LOCATION_BATCH_MAX), checked; 400 naming the field.

    In a batch, fields are named by position (``3.latitude``). ``recorded_at``
    may be a little ahead of the server's clock (LOCATION_FUTURE_SKEW_SECONDS)
    and at most LOCATION_MAX_AGE_HOURS old; without ``time_required`` (the
    socket, where the contract has no time) a missing one is "now".
    """
    if isinstance(raw, list):
        if not raw:
            raise invalid("non_field_errors", "Send at least one location.")
        if len(raw) > settings.LOCATION_BATCH_MAX:
            raise invalid("non_field_errors", f"At most {settings.LOCATION_BATCH_MAX} locations at once.")
        return [_fix(item, now=now, prefix=f"{index}.", time_required=time_required) for index, item in enumerate(raw)]
    return [_fix(raw, now=now, prefix="", time_required=time_required)]
