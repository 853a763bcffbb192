#!/bin/sh
# First start of the PostgreSQL container only: the login roles of least privilege.
# - credit_scoring_owner: owns the schema and every table; runs the migrations and the
#   maintenance commands (compose's `migrate` service, `docker compose run --rm migrate …`).
# - credit_scoring_api: the API; `credit-scoring db grant` (run after each migration) gives it
#   only the DML it needs.
# - dashboard_reader: the dashboard; SELECT on the tables except keys and audit (same command),
#   read-only sessions.
# - dashboard_writer: the dashboard's own writes (reviews, login attempts, access audit, user
#   role/state); INSERT on those tables and SELECT where needed (same command), no keys.
# POSTGRES_USER (the superuser) is used by nothing but this script.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v db="$POSTGRES_DB" \
  -v owner_password="$OWNER_DB_PASSWORD" \
  -v api_password="$API_DB_PASSWORD" \
  -v reader_password="$DASHBOARD_DB_PASSWORD" <<'SQL'
CREATE ROLE credit_scoring_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE credit_scoring_api LOGIN PASSWORD :'api_password';
CREATE ROLE dashboard_reader LOGIN PASSWORD :'reader_password';
ALTER ROLE dashboard_reader SET default_transaction_read_only = on;
CREATE ROLE dashboard_writer LOGIN PASSWORD :'reader_password';
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO credit_scoring_owner, credit_scoring_api;
GRANT CONNECT ON DATABASE :"db" TO dashboard_reader, dashboard_writer;
ALTER SCHEMA public OWNER TO credit_scoring_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO credit_scoring_api, dashboard_reader, dashboard_writer;
SQL
