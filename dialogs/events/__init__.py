"""Neighbourhood events: residents sign up and are reminded; staff create, change and cancel events."""
