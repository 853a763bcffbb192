"""The database home: tables, engines, migrations, records and read functions."""
