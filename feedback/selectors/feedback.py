"""Feedback as staff see it: what waits for triage."""

from __future__ import annotations

from feedback.models import Feedback, FeedbackStatus


def feedback_new_count() -> int:
    """Messages nobody has triaged yet (the admin home's panel): one COUNT on the status index."""
    return Feedback.objects.filter(status=FeedbackStatus.NEW).count()
