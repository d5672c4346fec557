"""The conversations and the rules of kiezbot, independent of any messenger or database.

Nothing in this package imports aiogram, SQLAlchemy or APScheduler (a test enforces it): a flow
receives an :class:`~dialogs.core.messages.Inbound`, reads and writes through the ports of
:mod:`dialogs.core.ports`, and answers with :class:`~dialogs.core.messages.Reply` objects that a transport
(Telegram in ``bot/``, the terminal chat) renders.
"""
