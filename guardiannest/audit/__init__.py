"""Append-only, hash-chained audit events."""
