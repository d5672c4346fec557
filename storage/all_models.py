"""Imports every model module so that ``Base.metadata`` knows all tables (migrations, tests)."""
from storage import models  # noqa: F401
from storage import ideas  # noqa: F401
from storage import events  # noqa: F401,E402
from storage import meetings  # noqa: F401,E402
from storage import broadcasts, leader  # noqa: F401,E402  (broadcasts; heartbeats of delivering processes)
from storage import personal_data, privacy  # noqa: F401,E402  (tables + personal-data registry)
from storage import ideas_personal_data  # noqa: F401,E402  (the ideas feature's personal data)
from storage import events_personal_data, meetings_personal_data  # noqa: F401,E402  (their personal data)
from storage import translation, translation_personal_data  # noqa: F401,E402  (translation jobs, their personal data)
from storage import console  # noqa: F401,E402  (the staff console's sign-in links and sessions)
from storage import whatsapp  # noqa: F401,E402  (residents on WhatsApp: channel identity, window, statuses)
