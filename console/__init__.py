"""The staff console: the neighbourhood team's web desk (an adapter beside ``bot/``, no Telegram here).

Server-rendered pages (aiohttp + Jinja2, no JavaScript needed, every asset under ``console/static/``),
German first and English from ``locales/console/``. A team member signs in with a one-time link the bot
sends for ``/console`` in a private chat (:mod:`console.auth`); every form carries a CSRF token
(:mod:`console.csrf`). Pages: :mod:`console.pages.home`, :mod:`console.pages.offices`,
:mod:`console.pages.audit`. :func:`console.app.build_console` makes the aiohttp application that
``kiezbot run`` mounts under ``/console`` and ``kiezbot console`` serves alone.
"""
