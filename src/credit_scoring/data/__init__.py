"""Data stage: load the Kaggle tables (or a synthetic population) into validated, typed Parquet.

``loader`` validates source files against the data contract (``credit_scoring.schema``) and
writes one Parquet file per table plus a manifest; ``reading`` reads a loaded folder back.
"""
