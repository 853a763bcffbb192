"""Alembic migrations of the serving database (decision log, outcomes, API keys)."""
