"""Every state change of bookings: one function, one transaction, one event and audit record."""

from bookings.services.create import booking_create
from bookings.services.disputes import booking_dispute, booking_dispute_resolve
from bookings.services.groups import booking_request_group_create
from bookings.services.hours_auto_confirm import booking_hours_auto_confirm, booking_hours_auto_confirm_due
from bookings.services.lifecycle import (
    booking_accept,
    booking_cancel,
    booking_decline,
    booking_expire,
    booking_expire_due,
    booking_payment_authorise,
    booking_payment_record,
)
from bookings.services.no_show import booking_no_show
from bookings.services.reviews import booking_review_reply, booking_review_submit
from bookings.services.series import booking_series_create
from bookings.services.work import booking_check_in, booking_check_out, booking_hours_confirm

__all__ = [
    "booking_accept",
    "booking_cancel",
    "booking_check_in",
    "booking_check_out",
    "booking_create",
    "booking_decline",
    "booking_dispute",
    "booking_dispute_resolve",
    "booking_expire",
    "booking_expire_due",
    "booking_hours_auto_confirm",
    "booking_hours_auto_confirm_due",
    "booking_hours_confirm",
    "booking_no_show",
    "booking_payment_authorise",
    "booking_payment_record",
    "booking_request_group_create",
    "booking_review_reply",
    "booking_review_submit",
    "booking_series_create",
]
