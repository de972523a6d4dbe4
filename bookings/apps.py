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

        from bookings import demo, tasks  # noqa: F401  (workers register the tasks)
        from bookings.services.payments import booking_payment_changed
        from guardiannest.registries import beat_entries, demo_seeders
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
            # Reminders 24 h and 2 h before the start, on every channel the user's preferences allow.
            Kind("booking.reminder", Category.BOOKING, frozenset({email, push, sms}), needs, data),
            # A multi-sitter request another sitter accepted first: this sitter has nothing to answer.
            Kind("booking.withdrawn", Category.BOOKING, frozenset({email, push}), needs, data),
            Kind("booking.cancelled", Category.BOOKING, frozenset({email, push, sms}), needs, data),
            Kind("booking.completed", Category.BOOKING, frozenset({email, push}), needs, data),
            # The card hold could not be renewed before it lapses (payments' reauthorisation_failed).
            Kind("booking.payment_action_needed", Category.BOOKING, frozenset({email, push}), needs, data),
            # The overtime (worked time beyond the authorisation) could not be charged after every attempt.
            Kind("booking.overtime_failed", Category.BOOKING, frozenset({email, push}), needs, data),
        )
        # The work itself, its hours, disputes, no-shows and reviews: each tells the other party.
        register(
            Kind("booking.checked_in", Category.BOOKING, frozenset({push}), needs, data),
            Kind("booking.hours_confirmed", Category.BOOKING, frozenset({email, push}), needs, data),
            Kind("booking.disputed", Category.BOOKING, frozenset({email, push}), needs, data),
            Kind("booking.dispute_resolved", Category.BOOKING, frozenset({email, push}), needs, data),
            Kind("booking.no_show", Category.BOOKING, frozenset({email, push}), needs, data),
            Kind("booking.reviewed", Category.BOOKING, frozenset({email, push}), needs, data),
            Kind("booking.review_replied", Category.BOOKING, frozenset({push}), needs, data),
        )
        # POST conversations {booking_id}: messaging asks bookings who the booking's parties are.
        from bookings.selectors import booking_parties
        from messaging.references import BOOKING, conversation_references

        conversation_references.register(BOOKING, booking_parties)
        # A payment authorised later (the parent approved it with their bank) confirms the booking.
        payment_handlers.register("bookings", booking_payment_changed)
        demo_seeders.register("bookings", demo.seed)
        # The admin home: hours disputes and today's bookings (bookings/dashboard.py).
        from bookings.dashboard import dashboard_register

        dashboard_register()
        beat_entries.register(
            "bookings-expire-unanswered", {"task": "bookings.booking_expire_unanswered", "schedule": 60.0}
        )
        # Hours neither confirmed nor disputed within BOOKING_DISPUTE_WINDOW_HOURS confirm by themselves.
        beat_entries.register(
            "bookings-hours-auto-confirm", {"task": "bookings.booking_hours_auto_confirm", "schedule": 300.0}
        )
        # Overtime charges that failed (or whose first attempt was lost) are tried again when due.
        beat_entries.register(
            "bookings-overtime-charge", {"task": "bookings.booking_overtime_charge_due", "schedule": 60.0}
        )
        beat_entries.register("bookings-remind", {"task": "bookings.booking_remind_due", "schedule": 60.0})
        # Live tracking and safety timers (bookings.tracking): beat jobs and the socket's location. A timer's
        # alert is an emergency alert: emergencies register its kinds and fill bookings.tracking.alerts in.
        from bookings.tracking.setup import ready as tracking_ready

        tracking_ready()

        # Staff roles: support cancels, reports no-shows and resolves disputes of hours (the booking's change
        # permission).
        from guardiannest.registries import staff_role_permissions

        staff_role_permissions.register(
            "bookings",
            {
                "support": (
                    "bookings.view_booking",
                    "bookings.change_booking",
                    "bookings.view_bookingevent",
                    "bookings.view_bookinglocation",
                    "bookings.view_safetyalert",
                    "bookings.view_overtimecharge",
                ),
                "finance": (
                    "bookings.view_booking",
                    "bookings.view_bookingevent",
                    # Failed overtime charges, retried by finance (the action needs payments.refund_payment).
                    "bookings.view_overtimecharge",
                ),
            },
        )
