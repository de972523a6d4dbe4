"""The fixtures of the messaging tests, each defined in its subdomain's helpers module beside what it serves."""

from messaging.tests.chat_helpers import conversation, socket_for  # noqa: F401
from messaging.tests.notifications_helpers import broker, outbox_dir, smtp_server  # noqa: F401
from messaging.tests.providers_helpers import _google, _twilio, fcm, twilio  # noqa: F401
