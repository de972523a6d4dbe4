"""The bulk email stand-in bench/sos.py queues 10,000 of on the default queue (the workers load it with --include).

Each task holds its worker for ``BULK_EMAIL_SECONDS``, about an SMTP hand-off,
so the default worker stays busy with the backlog for the whole run.
"""

from __future__ import annotations

import time

from guardiannest.celery import app

BULK_EMAIL_TASK = "bench.bulk_email"
BULK_EMAIL_SECONDS = 0.05


@app.task(name=BULK_EMAIL_TASK)
def bulk_email(number: int) -> int:
    time.sleep(BULK_EMAIL_SECONDS)
    return number
