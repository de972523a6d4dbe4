from django.apps import AppConfig


class BookingsConfig(AppConfig):
    """Booking requests and their whole lifecycle, cancellation policy, recurring series, check-in/out, reminders."""

    name = "bookings"
    verbose_name = "Bookings"
    default_auto_field = "django.db.models.BigAutoField"
