"""Delivery of the outbox to Telegram: the sender, the broadcasts' progress and the rate limits."""
