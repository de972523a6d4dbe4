"""Feature flags, named once here and switched by staff in the admin (django-waffle).

Two kinds, as waffle has them:

- a **switch** is on or off for everybody (``Waffle > Switches``);
- a **flag** is on for some users: everyone, staff, a group, or the users listed on it
  (``Waffle > Flags``).

Each feature below is read at one call site, through the function named after it. A
feature with no row yet answers its ``default``; ``migrate`` creates the rows (off
unless the default says otherwise) so staff find every one of them in the admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from waffle import get_waffle_flag_model, get_waffle_switch_model


@dataclass(frozen=True)
class Feature:
    name: str
    note: str
    default: bool = False


# A flag: on for the sitters it names (or a group of them, or everyone). A request to such a
# sitter is accepted on their behalf as it is created (bookings.services.create).
INSTANT_BOOKING = Feature(
    "instant_booking",
    "Requests to the sitters this flag is on for (users, groups, or everyone) are accepted at once.",
)
# A switch: marketing email goes out only while it is on (and only to users who opted in).
MARKETING_EMAIL = Feature(
    "marketing_email",
    "Marketing email is sent (to users who opted in) only while this switch is on.",
    default=True,
)

FLAGS: tuple[Feature, ...] = (INSTANT_BOOKING,)
SWITCHES: tuple[Feature, ...] = (MARKETING_EMAIL,)


def _switch_on(feature: Feature) -> bool:
    switch = get_waffle_switch_model().get(feature.name)
    return feature.default if switch.pk is None else bool(switch.is_active())


def _flag_on_for(feature: Feature, user: Any) -> bool:
    flag = get_waffle_flag_model().get(feature.name)
    if flag.pk is None:
        return feature.default
    return bool(flag.is_active_for_user(user))


def instant_booking_for(sitter: Any) -> bool:
    """Whether a new request to ``sitter`` is accepted at once (the flag is on for them)."""
    return _flag_on_for(INSTANT_BOOKING, sitter)


def marketing_email_on() -> bool:
    """Whether marketing email may go out at all (each user's opt-in still applies)."""
    return _switch_on(MARKETING_EMAIL)


def ensure_rows(apps: Any = None, **_: Any) -> None:
    """Create a row for every feature that has none, at its default (post_migrate; nothing while waffle is
    migrated to zero)."""
    try:
        flag_model = apps.get_model("waffle", "Flag") if apps is not None else get_waffle_flag_model()
        switch_model = apps.get_model("waffle", "Switch") if apps is not None else get_waffle_switch_model()
    except LookupError:
        return
    for feature in FLAGS:
        flag_model.objects.get_or_create(
            name=feature.name, defaults={"everyone": True if feature.default else None, "note": feature.note}
        )
    for feature in SWITCHES:
        switch_model.objects.get_or_create(
            name=feature.name, defaults={"active": feature.default, "note": feature.note}
        )
