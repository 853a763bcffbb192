"""Features: history aggregates (Ibis on DuckDB or Spark) and application features."""
