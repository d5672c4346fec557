"""Imports every model module so that ``Base.metadata`` knows all tables (migrations, tests)."""
from storage import models  # noqa: F401
from storage import ideas  # noqa: F401
from storage import events  # noqa: F401,E402
from storage import meetings  # noqa: F401,E402
from storage import broadcasts  # noqa: F401,E402
