"""Booking requests and their whole lifecycle, cancellation policy, recurring series, check-in/out, reminders."""

from django.apps import AppConfig


class BookingsConfig(AppConfig):
    """Booking requests and their whole lifecycle, cancellation policy, recurring series, check-in/out, reminders."""

    name = "bookings"
    verbose_name = "Bookings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The notifications of a booking's life; a request's push offers accept and decline.
        from django.utils.translation import gettext_lazy as _

        from bookings import tasks  # noqa: F401  (workers register the tasks)
        from bookings.services.payments import booking_payment_changed
        from guardiannest.registries import beat_entries
        from messaging.kinds import Category, Channel, Kind, KindAction, register
        from payments.handlers import payment_handlers

        email, push, sms = Channel.EMAIL, Channel.PUSH, Channel.SMS
        needs, data = ("booking_id", "other_name", "starts_at"), ("booking_id",)
        register(
            Kind(
                "booking.requested",
                Category.BOOKING,
                frozenset({email, push}),
                required=needs,
                data_keys=data,
                actions=(KindAction("accept", _("Accept")), KindAction("decline", _("Decline"))),
            ),
            Kind("booking.accepted", Category.BOOKING, frozenset({email, push}), needs, data),
            Kind("booking.declined", Category.BOOKING, frozenset({email, push}), needs, data),
            Kind("booking.reminder", Category.BOOKING, frozenset({push, sms}), needs, data),
            Kind("booking.cancelled", Category.BOOKING, frozenset({email, push, sms}), needs, data),
            Kind("booking.completed", Category.BOOKING, frozenset({email, push}), needs, data),
        )
        # Safety alerts (bookings.tracking) are emergencies: every channel, never off, a phone woken, the critical lane.
        from guardiannest.registries import QUEUE_CRITICAL

        alert = ("booking_id", "sitter_name", "parent_name", "starts_at", "ends_at")
        every = frozenset({email, push, sms})
        register(
            Kind(
                "booking.check_in_missed", Category.EMERGENCY, every, alert, data, priority="high", queue=QUEUE_CRITICAL
            ),
            Kind(
                "booking.parent_overdue", Category.EMERGENCY, every, alert, data, priority="high", queue=QUEUE_CRITICAL
            ),
        )
        # A payment authorised later (the parent approved it with their bank) confirms the booking.
        payment_handlers.register("bookings", booking_payment_changed)
        beat_entries.register(
            "bookings-expire-unanswered", {"task": "bookings.booking_expire_unanswered", "schedule": 60.0}
        )
        # Live tracking and safety timers (bookings.tracking): their kinds, beat jobs and the socket's location.
        from bookings.tracking.setup import ready as tracking_ready

        tracking_ready()
