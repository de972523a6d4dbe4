"""Factories for messaging rows; notify() is the usual way in, these build edge cases directly."""

from __future__ import annotations

import uuid

import factory

from accounts.tests.factories import ParentFactory
from messaging.models import Delivery, Notification


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory(ParentFactory)
    kind = "booking.accepted"
    category = "booking"
    title = "Booking accepted"
    body = "Your booking is confirmed."


class DeliveryFactory(factory.django.DjangoModelFactory):
    """A push delivery ready to send; the embedded twin writes it to OUTBOX_DIR."""

    class Meta:
        model = Delivery

    notification = factory.SubFactory(NotificationFactory)
    kind = factory.SelfAttribute("notification.kind")
    channel = "push"
    address = factory.LazyFunction(lambda: f"device-token-{uuid.uuid4().hex}")
    payload = factory.LazyAttribute(
        lambda d: {
            "title": d.notification.title,
            "body": d.notification.body,
            "data": {"kind": d.kind},
            "image_url": "",
            "actions": [],
            "platform": "android",
        }
    )
    delivery_key = factory.LazyFunction(lambda: f"test.{uuid.uuid4().hex}")
