"""The decision log: a durable local spool, a background drain and the database tables."""
