"""Every state change of bookings: one function, one transaction, one event and audit record."""

from bookings.services.create import booking_create
from bookings.services.groups import booking_request_group_create
from bookings.services.lifecycle import (
    booking_accept,
    booking_cancel,
    booking_decline,
    booking_expire,
    booking_expire_due,
    booking_payment_authorise,
    booking_payment_record,
)
from bookings.services.series import booking_series_create
from bookings.services.work import booking_check_in, booking_check_out, booking_hours_confirm

__all__ = [
    "booking_accept",
    "booking_cancel",
    "booking_check_in",
    "booking_check_out",
    "booking_create",
    "booking_decline",
    "booking_expire",
    "booking_expire_due",
    "booking_hours_confirm",
    "booking_payment_authorise",
    "booking_payment_record",
    "booking_request_group_create",
    "booking_series_create",
]
