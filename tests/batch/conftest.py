"""Batch-scoring fixtures: the serving tests' small real pipeline (its bundle, features and
data) and the feature tests' local Spark session, shared rather than rebuilt."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from credit_scoring.batch import BatchModel, load_batch_model
from credit_scoring.settings import Settings

_TESTS = Path(__file__).resolve().parents[1]


def _load(relative: str, name: str) -> ModuleType:
    """A fixture module of another test folder, imported once under ``name``."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, _TESTS / relative)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_serving = _load("serving/conftest.py", "_batch_serving_fixtures")
_features = _load("features/conftest.py", "_batch_features_fixtures")
_spark = _load("features/test_engine_parity.py", "_batch_spark_fixtures")

# Re-exported fixtures (pytest registers them under these names in this folder).
sample_data_dir = _features.sample_data_dir
sample_features_dir = _features.sample_features_dir
spark = _spark.spark
Pipeline = _serving.Pipeline
clean_row = _serving.clean_row


@pytest.fixture(scope="session")
def pipeline(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    """The serving tests' small real pipeline (generate → load → features → train), built by
    their code into a cache folder of its own, so a rebuild by a concurrent serving session
    never removes files under these tests."""
    cache = getattr(request.config, "cache", None)
    base = cache.mkdir("batch-pipeline") if cache else tmp_path_factory.mktemp("pipeline")
    root = Path(base) / _serving._pipeline_key()
    if not (root / "bundle" / "checksums.json").is_file():
        _serving._build_pipeline(root)
        for stale in Path(base).iterdir():  # artefacts of older code
            if stale != root and stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
    return Pipeline(root / "data", root / "features", root / "bundle")


@pytest.fixture(scope="session")
def batch_model(pipeline: Pipeline, tmp_path_factory: pytest.TempPathFactory) -> BatchModel:
    """The pipeline's bundle, loaded as ``score-batch`` loads it."""
    from credit_scoring.settings import get_settings

    home = tmp_path_factory.mktemp("batch_home")
    return load_batch_model(str(pipeline.bundle_dir), get_settings(environment="test", home=home))


@pytest.fixture
def batch_settings(tmp_path: Path) -> Settings:
    from credit_scoring.settings import get_settings

    return get_settings(environment="test", home=tmp_path / "home")
