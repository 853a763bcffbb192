"""score-batch refuses an unsigned, foreign-signed or altered bundle when signatures are
required."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from credit_scoring.batch.model import load_batch_model
from credit_scoring.errors import BundleIntegrityError
from credit_scoring.runtime.signature import BundleSignatureError


def test_score_batch_refuses_every_untrusted_bundle(
    pipeline: Any, signing_keys: Any, tmp_path: Path, batch_settings: Any
) -> None:
    variants = signing_keys.variants(pipeline.bundle_dir, tmp_path / "bundles")
    settings = batch_settings.model_copy(update=signing_keys.settings_overrides())
    with pytest.raises(BundleSignatureError, match="unsigned"):
        load_batch_model(str(variants["unsigned"]), settings)
    with pytest.raises(BundleSignatureError, match="trusted key"):
        load_batch_model(str(variants["foreign"]), settings)
    with pytest.raises(BundleIntegrityError, match="does not match"):
        load_batch_model(str(variants["altered"]), settings)
    with pytest.raises(BundleSignatureError, match="trusted key"):
        load_batch_model(str(variants["resigned-manifest"]), settings)
    assert load_batch_model(str(variants["good"]), settings).bundle.threshold > 0


def test_score_batch_cli_names_the_refusal(
    pipeline: Any, signing_keys: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from credit_scoring.cli import app

    variants = signing_keys.variants(pipeline.bundle_dir, tmp_path / "bundles")
    monkeypatch.setenv("CREDIT_SCORING_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CREDIT_SCORING_REQUIRE_SIGNED_BUNDLES", "true")
    monkeypatch.setenv("CREDIT_SCORING_TRUSTED_PUBLIC_KEYS", str(signing_keys.trusted_public))
    result = CliRunner().invoke(
        app,
        ["score-batch", str(pipeline.data_dir / "application_test.parquet"), "--out",
         str(tmp_path / "scores.parquet"), "--model", str(variants["foreign"]),
         "--features-dir", str(pipeline.features_dir)],
    )  # fmt: skip
    assert result.exit_code != 0
    assert isinstance(result.exception, BundleSignatureError)
    assert not (tmp_path / "scores.parquet").exists()
