"""The migrations build exactly the schema :mod:`credit_scoring.store.tables` declares."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from credit_scoring.store.engine import create_db_engine
from credit_scoring.store.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    include_object,
    upgrade_database,
)
from credit_scoring.store.tables import (
    VERSION_TABLE,
    feature_sets,
    history_table,
    metadata,
    retention_audit,
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    fresh_postgres: Callable[[str], AbstractContextManager[str]],
) -> Iterator[str]:
    """An empty database: a new SQLite file or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{(tmp_path / 'store.sqlite').as_posix()}"
    else:
        with fresh_postgres("cs_store") as url:
            yield url


def schema_differences(url: str) -> list[Any]:
    """What Alembic's autogenerate would change to make the database match the models."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "include_object": include_object,
                    "version_table": VERSION_TABLE,
                },
            )
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_the_migrations_have_exactly_one_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert heads == [head_revision()], f"several heads: {heads}; re-point a down_revision"


def test_the_migrated_schema_equals_the_models(empty_url: str) -> None:
    assert schema_differences(empty_url)  # the comparison sees a missing schema …
    assert upgrade_database(empty_url) == head_revision()
    assert schema_differences(empty_url) == []  # … and none once migrated
    engine = create_db_engine(empty_url)
    try:
        tables = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert tables == {*metadata.tables, VERSION_TABLE}


def test_a_registry_published_before_the_store_migration_is_kept(empty_url: str) -> None:
    """Databases where ``features publish`` created ``feature_sets`` itself (before revision
    0005) keep their rows, and history tables stay outside the comparison."""
    upgrade_database(empty_url, "0004")
    engine = create_db_engine(empty_url)
    try:
        with engine.begin() as connection:
            feature_sets.create(connection)
            history_table("history_features_v1_abc").create(connection)
            connection.execute(
                sa.insert(feature_sets).values(
                    version="v1-abc",
                    table_name="history_features_v1_abc",
                    columns="[]",
                    row_format="float64-le",
                    row_count=0,
                    published_at="2026-12-01T00:00:00+00:00",
                    is_current=True,
                )
            )
        assert upgrade_database(empty_url) == head_revision()
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            versions = connection.execute(sa.select(feature_sets.c.version)).scalars().all()
    finally:
        engine.dispose()
    assert versions == ["v1-abc"]
    assert schema_differences(empty_url) == []


def test_audit_rows_written_before_0009_count_no_reviews_access_rows_or_logins(
    empty_url: str,
) -> None:
    """Purges and erasures before revision 0009 deleted none of those rows: 0, not NULL."""
    upgrade_database(empty_url, "0008_people_in_the_loop")
    engine = create_db_engine(empty_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO retention_audit (performed_at, operator, action, parameters, "
                    "decisions, outcomes, spooled) VALUES (:at, 'dpo', 'purge', '{}', 3, 1, 2)"
                ),
                {"at": datetime(2026, 12, 1, tzinfo=UTC)},
            )
        assert upgrade_database(empty_url) == head_revision()
        with engine.connect() as connection:
            row = connection.execute(sa.select(retention_audit)).one()
    finally:
        engine.dispose()
    assert (row.decisions, row.outcomes, row.spooled) == (3, 1, 2)
    assert (row.reviews, row.access_audit, row.login_attempts) == (0, 0, 0)
