"""The adapters of kiezbot: Telegram (aiogram 3), the terminal chat, the command line and the wiring."""
from bot import lazy_models

lazy_models.install()   # before anything imports aiogram: its models are built on first use
