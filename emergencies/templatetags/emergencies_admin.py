"""What the admin's templates show of emergencies: the count of alerts nobody has answered yet."""

from __future__ import annotations

from django import template

from emergencies.selectors import emergency_active_count

register = template.Library()


@register.simple_tag
def active_emergency_count() -> int:
    return emergency_active_count()
