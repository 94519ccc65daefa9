"""Writes of the conversations app, split by topic."""
