"""The adapters of kiezbot: Telegram (aiogram 3), the terminal chat, the command line and the wiring."""
