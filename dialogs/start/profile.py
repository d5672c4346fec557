"""The bot's Telegram profile: what people see before they press Start, in their app's language.

``bot/telegram.py`` (:meth:`TelegramTransport.set_profile`) publishes these with setMyDescription and
setMyShortDescription for every language, at start-up and only when the text changed.
"""
from __future__ import annotations

from dialogs.core.i18n import N_

DESCRIPTION_LIMIT = 512          # Bot API limits
SHORT_DESCRIPTION_LIMIT = 120

# Translators: the bot's Telegram description (at most 512 characters), shown in an empty chat before Start.
DESCRIPTION = N_("Hello! I am kiezbot, the assistant of the neighbourhood management offices (Quartiersmanagement) "
                 "in Wedding and Gesundbrunnen. I help you find your office and its opening hours, send an idea or "
                 "an Aktionsfonds application, sign up for neighbourhood events and ask the team a question — in "
                 "your language. Tap the button below to begin.")
# Translators: the bot's Telegram short description (at most 120 characters), shown on its profile page.
SHORT_DESCRIPTION = N_("Your neighbourhood management office in Wedding and Gesundbrunnen: office hours, ideas, "
                       "events — in your language.")
