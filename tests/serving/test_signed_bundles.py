"""Serving refuses an unsigned, foreign-signed or altered bundle when signatures are required."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from credit_scoring.errors import BundleIntegrityError
from credit_scoring.runtime.signature import BundleSignatureError
from credit_scoring.serving.app import create_app
from credit_scoring.serving.scorer import load_served_model

REFUSED = {
    "unsigned": (BundleSignatureError, "unsigned bundle"),
    "foreign": (BundleSignatureError, "does not verify under any trusted key"),
    "altered": (BundleIntegrityError, "does not match the recorded"),
    "resigned-manifest": (BundleSignatureError, "does not verify under any trusted key"),
}


def test_serve_refuses_every_untrusted_bundle(
    e2e_settings: Any, pipeline: Any, signing_keys: Any, tmp_path: Path, keys: Any,
    pipeline_applications: list[dict[str, Any]],
) -> None:  # fmt: skip
    from fastapi.testclient import TestClient

    variants = signing_keys.variants(pipeline.bundle_dir, tmp_path / "bundles")
    required = e2e_settings.model_copy(update=signing_keys.settings_overrides())
    for name, (error, message) in REFUSED.items():
        settings = required.model_copy(update={"model_uri": str(variants[name])})
        with pytest.raises(error, match=message):
            load_served_model(str(variants[name]), settings)
    # Through HTTP: the API stays not ready and answers no score from an unsigned bundle.
    headers = {"X-API-Key": keys.everything}
    unsigned = required.model_copy(
        update={"model_uri": str(variants["unsigned"]), "reload_poll_seconds": 0}
    )
    with TestClient(create_app(unsigned)) as api:
        ready = api.get("/readyz")
        assert ready.status_code == 503
        assert (
            api.post("/v1/scores", json=pipeline_applications[0], headers=headers).status_code
            == 503
        )
    good = required.model_copy(update={"model_uri": str(variants["good"])})
    with TestClient(create_app(good)) as api:
        assert api.get("/readyz").status_code == 200
        answer = api.post("/v1/scores", json=pipeline_applications[0], headers=headers)
        assert answer.status_code == 200
    # Signatures off (an explicit local setting): the unsigned bundle loads.
    local = e2e_settings.model_copy(update={"require_signed_bundles": False})
    assert load_served_model(str(variants["unsigned"]), local).bundle.threshold > 0


def test_production_requires_signatures_unless_explicitly_off() -> None:
    from credit_scoring.settings import get_settings

    assert get_settings(environment="production").signatures_required
    assert not get_settings(
        environment="production", require_signed_bundles=False
    ).signatures_required
    assert not get_settings(environment="development").signatures_required
