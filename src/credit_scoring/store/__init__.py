"""The serving database: tables, engines, migrations, reads and roles."""
