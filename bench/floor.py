"""Names shared by the chat floor view (bench/urls_bare.py) and bench/chat.py, which must not import Django."""

from __future__ import annotations

from typing import Any

FLOOR_TABLE = "bench_floor_message"
FLOOR_TABLE_SQL = f"""
CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (
    id uuid PRIMARY KEY,
    conversation_id uuid NOT NULL,
    sender_id uuid NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)
"""


def floor_channel(conversation_id: Any) -> str:
    """The redis-py channel the floor view publishes a conversation's messages on."""
    return f"bench.floor.{conversation_id}"
