"""Broadcasts leave only after commit, and a dead layer never undoes the change."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from guardiannest.realtime import events


@pytest.mark.django_db
def test_broadcast_on_commit_waits_for_the_commit(django_capture_on_commit_callbacks) -> None:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("user.test-commit", channel)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        events.broadcast_on_commit(["user.test-commit"], "booking.updated", {"id": 1})
    assert len(callbacks) == 1
    callbacks[0]()
    message = async_to_sync(layer.receive)(channel)
    assert message["type"] == events.HANDLER
    assert message["envelope"]["type"] == "booking.updated"


@pytest.mark.django_db(transaction=True)
def test_nothing_is_broadcast_when_the_transaction_rolls_back() -> None:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("user.test-rollback", channel)
    with pytest.raises(RuntimeError), transaction.atomic():
        events.broadcast_on_commit(["user.test-rollback"], "booking.updated", {"id": 1})
        raise RuntimeError("the change failed")
    events.broadcast(["user.test-rollback"], "marker", {})
    assert async_to_sync(layer.receive)(channel)["envelope"]["type"] == "marker"


def test_a_failing_layer_is_logged_not_raised(settings) -> None:
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }
    message = events.broadcast(["user.x"], "booking.updated", {"id": 1})
    assert message["type"] == "booking.updated"


def test_no_layer_configured_is_a_no_op(settings) -> None:
    settings.CHANNEL_LAYERS = {}
    assert events.broadcast(["user.x"], "t", {})["data"] == {}
