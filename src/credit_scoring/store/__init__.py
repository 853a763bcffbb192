"""The database: one ``MetaData`` for every table, engines, migrations, the decision record
and the reads other components share (see ``docs/store.md``)."""
