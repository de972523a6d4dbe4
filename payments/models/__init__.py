"""Payments tables, one module per subdomain; each module lists its models in ``__all__``."""

from payments.models.customers import *  # noqa: F403
from payments.models.disputes import *  # noqa: F403
from payments.models.events import *  # noqa: F403
from payments.models.ledger import *  # noqa: F403
from payments.models.payments import *  # noqa: F403
from payments.models.payouts import *  # noqa: F403
from payments.models.simulated import *  # noqa: F403
