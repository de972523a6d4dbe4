"""API conventions shared by every app: errors, pagination, idempotency, throttling."""
