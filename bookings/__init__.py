"""Booking requests and their whole lifecycle, cancellation policy, recurring series, check-in/out, reminders."""
