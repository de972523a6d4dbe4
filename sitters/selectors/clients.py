"""What a sitter sees of the families who booked them: first names and counts, never surnames or addresses."""

from __future__ import annotations

from django.db.models import QuerySet

from sitters.models import SitterClient, SitterProfile

REBOOKED_MIN = 2


def client_list_for_sitter(*, sitter: SitterProfile, rebooked: bool | None = None) -> QuerySet[SitterClient]:
    """The sitter's families, most recent booking first; ``rebooked`` True: two or more bookings, False: one."""
    clients = SitterClient.objects.filter(sitter=sitter).select_related("parent")
    if rebooked is True:
        clients = clients.filter(bookings_count__gte=REBOOKED_MIN)
    elif rebooked is False:
        clients = clients.filter(bookings_count__lt=REBOOKED_MIN)
    return clients.order_by("-last_booked_at")
