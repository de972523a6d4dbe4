"""Messaging tables, one module per subdomain; each lists its models in ``__all__``."""

from messaging.models.chat import *  # noqa: F403
from messaging.models.devices import *  # noqa: F403
from messaging.models.notifications import *  # noqa: F403
