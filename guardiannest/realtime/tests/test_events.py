"""Broadcasts leave only after commit, on the layer's own wire format, over a connection the process keeps."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings
from django.db import transaction

from guardiannest.realtime import events
from guardiannest.realtime.layers import RedisPubSubLayer
from guardiannest.realtime.presence import presence_join
from guardiannest.realtime.store import RedisStore, store_for
from guardiannest.realtime.testing import GroupListener


@pytest.mark.django_db
def test_broadcast_on_commit_waits_for_the_commit(django_capture_on_commit_callbacks) -> None:
    listener = GroupListener(["user.test-commit"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        events.broadcast_on_commit(["user.test-commit"], "booking.updated", {"id": 1})
    assert len(callbacks) == 1
    callbacks[0]()
    message = listener.next_message()
    assert message["type"] == events.HANDLER
    envelope = json.loads(message["text"])
    assert envelope["type"] == "booking.updated" and envelope["id"] == message["id"]
    listener.close()


@pytest.mark.django_db(transaction=True)
def test_nothing_is_broadcast_when_the_transaction_rolls_back() -> None:
    listener = GroupListener(["user.test-rollback"])
    with pytest.raises(RuntimeError), transaction.atomic():
        events.broadcast_on_commit(["user.test-rollback"], "booking.updated", {"id": 1})
        raise RuntimeError("the change failed")
    events.broadcast(["user.test-rollback"], "marker", {})
    assert listener.next_envelope()["type"] == "marker"
    listener.close()


async def test_what_sync_code_publishes_is_what_the_stock_async_layer_reads() -> None:
    """The publisher writes channels_redis' pub/sub wire format itself: read it back with the stock layer."""
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    stock = RedisPubSubChannelLayer(**config)
    channel = await stock.new_channel()
    await stock.group_add("user.wire", channel)
    await stock.group_add("booking.wire", channel)
    try:
        sent = await sync_to_async(events.broadcast)(["user.wire", "booking.wire"], "booking.updated", {"n": 1})
        for _ in range(2):  # one per group
            message = await stock.receive(channel)
            assert message["type"] == events.HANDLER
            assert json.loads(message["text"]) == sent
    finally:
        await stock.flush()


def _publisher_connections(layer: RedisPubSubLayer) -> int:
    client = layer.publisher.client_for(layer.group_channel("x"))
    name = client.client_getname()
    return sum(1 for entry in client.client_list() if entry.get("name") == name)


def test_sync_publishing_keeps_one_connection_whatever_the_number_of_events() -> None:
    layer = get_channel_layer()
    assert isinstance(layer, RedisPubSubLayer)
    events.broadcast(["user.a"], "t", {})
    # Counted as a difference: publishers of layers that earlier tests in this process configured keep theirs.
    before = _publisher_connections(layer)
    for n in range(50):
        events.broadcast([f"user.{n}", f"booking.{n}", "staff.emergencies"], "t", {"n": n})
    assert before >= 1
    assert _publisher_connections(layer) == before


def test_a_failing_layer_is_logged_not_raised(settings) -> None:
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "guardiannest.realtime.layers.RedisPubSubLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    message = events.broadcast(["user.x"], "booking.updated", {"id": 1})
    assert message["type"] == "booking.updated"
    assert events.sockets_close(reason=events.CloseReason.SESSION_ENDED, session_ids=["s"]) is False


def test_no_layer_configured_is_a_no_op(settings) -> None:
    settings.CHANNEL_LAYERS = {}
    assert events.broadcast(["user.x"], "t", {})["data"] == {}


def test_a_publisher_connection_redis_dropped_is_replaced_and_the_event_still_goes_out() -> None:
    layer = get_channel_layer()
    assert isinstance(layer, RedisPubSubLayer)
    listener = GroupListener(["user.dropped"])
    events.broadcast(["user.dropped"], "first", {})
    assert listener.next_envelope()["type"] == "first"
    # when Redis drops the publisher's kept connection (a restart, a timeout, CLIENT KILL)
    client = layer.publisher.client_for(layer.group_channel("user.dropped"))
    client.client_kill_filter(_id=client.client_id())
    # then the next event still goes out, on a new connection
    events.broadcast(["user.dropped"], "second", {})
    assert listener.next_envelope()["type"] == "second"
    listener.close()


def test_on_two_shards_each_group_is_published_kept_and_the_socket_count_read_where_the_user_lives(settings) -> None:
    # Two shards (two clients of the test Redis, as if two servers): a user's sockets can live on another
    # shard than the groups published to; the count is then read there, after the publish.
    url = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "guardiannest.realtime.layers.RedisPubSubLayer",
            "CONFIG": {"hosts": [url, url], "prefix": "gntest-shards:asgi"},
        }
    }
    layer = get_channel_layer()
    assert isinstance(layer, RedisPubSubLayer)
    store = store_for(layer)
    assert isinstance(store, RedisStore)
    user_id = str(uuid.uuid4())
    home = store._shard(store.sockets_key(user_id))
    names = (f"booking.shards-{n}" for n in range(10_000))
    here = next(name for name in names if store._shard(layer.group_channel(name)) == home)
    elsewhere = next(name for name in names if store._shard(layer.group_channel(name)) != home)
    assert events.broadcast_counting_sockets([here], "t", {}, user_id=user_id) == 0
    presence_join(user_id=user_id)
    presence_join(user_id=user_id)
    for groups in ([here], [elsewhere], [elsewhere, here]):
        listener = GroupListener(groups)
        assert events.broadcast_counting_sockets(groups, "t", {"n": len(groups)}, user_id=user_id) == 2
        assert [listener.next_envelope()["data"] for _ in groups] == [{"n": len(groups)}] * len(groups)
        listener.close()
        for group in groups:
            key = store.replay_key(group)
            kept: Any = layer.publisher.client_for(key).xrange(key)
            assert json.loads(kept[-1][1][b"e"])["data"] == {"n": len(groups)}
