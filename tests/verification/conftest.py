"""The fixtures of the capture tests: a real local web site and real workers."""

from tests.api.conftest import api  # noqa: F401 (fixture)
from tests.interchange.conftest import site  # noqa: F401 (fixture)
from tests.notifications.conftest import workers  # noqa: F401 (fixture)
