"""Broadcasts: staff compose one message per language for an audience; the rules for who gets which text."""
