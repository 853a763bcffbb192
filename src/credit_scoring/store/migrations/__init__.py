"""Alembic migrations of the database (run by :mod:`credit_scoring.store.migrate`)."""
