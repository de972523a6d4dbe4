"""Sitter tables, one module per subdomain; each module lists its models in ``__all__``."""

from sitters.models.calendar import *  # noqa: F403
from sitters.models.certification import *  # noqa: F403
from sitters.models.clients import *  # noqa: F403
from sitters.models.profile import *  # noqa: F403
from sitters.models.reliability import *  # noqa: F403
from sitters.models.review import *  # noqa: F403
from sitters.models.verification import *  # noqa: F403
