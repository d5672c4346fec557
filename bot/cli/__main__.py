"""``python -m bot.cli``: the same as the ``kiezbot`` command."""
from bot.cli import main

raise SystemExit(main())
