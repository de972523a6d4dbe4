"""RedisBatch (guardiannest/cache.py): several parts' commands in one write, each part reading its own reply."""

from __future__ import annotations

import pytest
import redis
from django.core.cache import cache
from redis.exceptions import ResponseError

from guardiannest.cache import RedisBatch, redis_batch


def _pool_idle() -> bool:
    return cache.raw_client().connection_pool._in_use_connections == set()  # type: ignore[attr-defined]


def test_replies_come_back_in_order_and_the_connection_goes_back() -> None:
    batch = redis_batch()
    assert batch is not None
    first = batch.add("SET", cache.make_key("batch:a"), "1")
    second = batch.add("INCRBY", cache.make_key("batch:a"), 41)
    third = batch.add("GET", cache.make_key("batch:missing"))
    batch.send()
    assert not _pool_idle()  # held until the replies are read

    assert (batch.reply(second), batch.reply(first), batch.reply(third)) == (42, b"OK", None)
    assert _pool_idle()


def test_an_error_reply_is_raised_to_its_part_only() -> None:
    batch = redis_batch()
    assert batch is not None
    broken = batch.add("INCR", cache.make_key("batch:text"), "extra-argument")
    fine = batch.add("PING")
    batch.send()

    with pytest.raises(ResponseError):
        batch.reply(broken)
    assert batch.reply(fine) in (b"PONG", "PONG", True)
    assert _pool_idle()


def test_an_unreachable_redis_is_raised_to_every_part() -> None:
    client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)  # nothing listens there
    batch = RedisBatch(client)
    one, two = batch.add("GET", "a"), batch.add("GET", "b")
    batch.send()  # does not raise: each part hears of it

    for index in (one, two):
        with pytest.raises(redis.ConnectionError):
            batch.reply(index)
    batch.close()


def test_close_reads_what_nobody_asked_for() -> None:
    batch = redis_batch()
    assert batch is not None
    batch.add("PING")
    batch.send()
    batch.close()

    assert _pool_idle()
    with pytest.raises(RuntimeError):
        batch.add("PING")  # sent already
