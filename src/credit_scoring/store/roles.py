"""Least privilege on PostgreSQL: what the API's role and the dashboard's role may do.

The migration owner (the role ``credit-scoring db upgrade`` runs as) owns every table; it
runs the migrations and the maintenance commands (publishing history, monitoring jobs,
retention, key creation). :func:`grant_roles` then gives, on the tables that exist:

- the **API role** only the DML serving needs: read every table (model history, keys,
  decisions), insert decisions, outcomes and read-audit rows, and set ``revoked_at`` of a
  key — no DELETE, no UPDATE elsewhere, no DDL (it owns nothing and may not create in the
  schema);
- the **dashboard's role** ``SELECT`` on every table except the API keys, the audit
  tables (who read what, retention, who opened what) and the dashboard's users and login
  attempts; its sessions are read-only too (set when the role is made:
  ``docker/postgres-init``);
- the **dashboard's writer role** (optional) the dashboard's own writes: ``INSERT`` into
  reviews, login attempts and the access audit, ``UPDATE`` of a user's role, state and
  password hash, and ``SELECT`` on what the readers see plus users and login attempts — no
  keys, no audit reads, no DELETE, no DDL.

Run it after every migration (compose's ``migrate`` service does): tables a migration adds
get their grants then.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, inspect, text

#: Tables the API inserts into.
API_INSERTS = ("decisions", "outcomes", "decision_reads")
#: Columns the API updates, by table.
API_UPDATES = {"api_keys": ("revoked_at",)}
#: Tables the dashboard's role may not read: secrets and audit trails.
NOT_FOR_READERS = (
    "api_keys",
    "decision_reads",
    "retention_audit",
    "access_audit",
    "dashboard_users",
    "login_attempts",
)
#: Tables the dashboard's writer role inserts into (their ``id`` sequences too).
WRITER_INSERTS = ("reviews", "login_attempts", "access_audit")
#: Columns the dashboard's writer role updates, by table.
WRITER_UPDATES = {"dashboard_users": ("role", "disabled", "password_hash", "updated_at")}
#: Tables the writer reads beyond the readers' (login: users and recent failures).
WRITER_READS = ("dashboard_users", "login_attempts")

_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _role(name: str) -> str:
    if not _ROLE.match(name):
        raise ValueError(f"not a plain role name: {name!r}")
    return f'"{name}"'


def grant_statements(
    tables: list[str], *, api_role: str, reader_role: str, writer_role: str | None = None
) -> list[str]:
    """The GRANT/REVOKE statements for ``tables`` (the public schema's)."""
    api, reader = _role(api_role), _role(reader_role)
    writer = _role(writer_role) if writer_role else None
    roles = ", ".join(r for r in (api, reader, writer) if r)
    quoted = {t: f'"{t}"' for t in tables if re.match(r"^[A-Za-z0-9_]+$", t)}
    statements = [
        f"REVOKE CREATE ON SCHEMA public FROM PUBLIC, {roles}",
        f"GRANT USAGE ON SCHEMA public TO {roles}",
    ]
    for table, name in sorted(quoted.items()):
        statements.append(f"REVOKE ALL ON {name} FROM {roles}")
        statements.append(f"GRANT SELECT ON {name} TO {api}")
        if table in API_INSERTS:
            statements.append(f"GRANT INSERT ON {name} TO {api}")
        if table in API_UPDATES:
            columns = ", ".join(f'"{c}"' for c in API_UPDATES[table])
            statements.append(f"GRANT UPDATE ({columns}) ON {name} TO {api}")
        if table not in NOT_FOR_READERS:
            statements.append(f"GRANT SELECT ON {name} TO {reader}")
        if writer is None:
            continue
        readable = table not in NOT_FOR_READERS or table in WRITER_READS
        if readable:
            statements.append(f"GRANT SELECT ON {name} TO {writer}")
        if table in WRITER_INSERTS:
            statements.append(f"GRANT INSERT ON {name} TO {writer}")
            if not readable:  # INSERT … RETURNING id (the new row's key) reads that column
                statements.append(f'GRANT SELECT ("id") ON {name} TO {writer}')
            statements.append(f'GRANT USAGE ON SEQUENCE "{table}_id_seq" TO {writer}')
        if table in WRITER_UPDATES:
            columns = ", ".join(f'"{c}"' for c in WRITER_UPDATES[table])
            statements.append(f"GRANT UPDATE ({columns}) ON {name} TO {writer}")
    statements.append(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {api}")
    return statements


def grant_roles(
    engine: Engine, *, api_role: str, reader_role: str, writer_role: str | None = None
) -> list[str]:
    """Apply :func:`grant_statements` to the tables of ``engine``'s database (as their
    owner); returns the statements run."""
    if engine.dialect.name != "postgresql":
        raise ValueError("roles exist on PostgreSQL only")
    tables = inspect(engine).get_table_names(schema="public")
    statements = grant_statements(
        tables, api_role=api_role, reader_role=reader_role, writer_role=writer_role
    )
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    return statements
