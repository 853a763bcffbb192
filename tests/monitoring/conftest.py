"""Monitoring fixtures: a migrated SQLite decision log filled with synthetic decisions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from credit_scoring.serving.db import create_db_engine, upgrade_database
from credit_scoring.simulate.offline import Population, synthetic_population


@pytest.fixture(scope="session")
def population() -> Population:
    return synthetic_population(20_000, n_numeric=8, n_categorical=3, seed=0)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = f"sqlite:///{(tmp_path / 'serving.sqlite').as_posix()}"
    upgrade_database(url)
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()
