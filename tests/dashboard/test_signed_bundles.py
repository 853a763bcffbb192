"""The dashboard refuses an unsigned, foreign-signed or altered bundle when signatures are
required (the Model and Score pages say why instead of using it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

EXPECTED = {
    "unsigned": "unsigned bundle",
    "foreign": "does not verify under any trusted key",
    "altered": "does not match the recorded",
    "resigned-manifest": "does not verify under any trusted key",
}


def _infos(at: Any) -> str:
    return "\n".join(str(p.value) for p in [*at.info, *at.error, *at.markdown])


def test_dashboard_refuses_every_untrusted_bundle(  # type: ignore[no-untyped-def]
    dashboard, dashboard_settings, empty_log, demo_env, signing_keys, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    variants = signing_keys.variants(demo_env.bundle_dir, tmp_path / "bundles")
    dashboard_settings(empty_log)
    monkeypatch.setenv("CREDIT_SCORING_REQUIRE_SIGNED_BUNDLES", "true")
    monkeypatch.setenv("CREDIT_SCORING_TRUSTED_PUBLIC_KEYS", str(signing_keys.trusted_public))
    for name, message in EXPECTED.items():
        monkeypatch.setenv("CREDIT_SCORING_MODEL_URI", str(variants[name]))
        at = dashboard.open(dashboard.app(logged_in=True), "model")
        assert not at.exception, [e.value for e in at.exception]
        shown = _infos(at)
        assert "cannot be loaded" in shown and message in shown, (name, shown)
    monkeypatch.setenv("CREDIT_SCORING_MODEL_URI", str(variants["good"]))
    at = dashboard.open(dashboard.app(logged_in=True), "model")
    assert not at.exception
    assert "cannot be loaded" not in _infos(at)
