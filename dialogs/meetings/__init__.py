"""Quartiersrat and Aktionsfondsjury sessions: subscriptions and reminders for residents, the sessions for staff."""
