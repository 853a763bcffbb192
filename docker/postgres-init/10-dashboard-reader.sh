#!/bin/sh
# First start of the PostgreSQL container only: a login role for the dashboard that can read
# every table the application creates later (the migrations run as POSTGRES_USER) and nothing else.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner="$POSTGRES_USER" -v db="$POSTGRES_DB" -v reader_password="$DASHBOARD_DB_PASSWORD" <<'SQL'
CREATE ROLE dashboard_reader LOGIN PASSWORD :'reader_password';
ALTER ROLE dashboard_reader SET default_transaction_read_only = on;
GRANT CONNECT ON DATABASE :"db" TO dashboard_reader;
GRANT USAGE ON SCHEMA public TO dashboard_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT ON TABLES TO dashboard_reader;
-- The dashboard's writes (users, login attempts, reviews, access audit): this role reads
-- every table and may insert into / update only those, granted by the migration that
-- creates them (migration i18_people).
CREATE ROLE dashboard_writer LOGIN PASSWORD :'reader_password';
GRANT CONNECT ON DATABASE :"db" TO dashboard_writer;
GRANT USAGE ON SCHEMA public TO dashboard_writer;
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT ON TABLES TO dashboard_writer;
SQL
