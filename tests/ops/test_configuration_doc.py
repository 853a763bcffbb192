"""docs/configuration.md lists every setting with its environment variable and default."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo

from credit_scoring.settings import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def _rows() -> dict[str, list[str]]:
    """Table rows whose first cell is a code span, by that name: ``{name: cells}``."""
    rows: dict[str, list[str]] = {}
    for line in DOC.read_text().splitlines():
        match = re.match(r"^\|\s*`([a-z_]+)`\s*\|(.*)\|\s*$", line)
        if match:
            rows[match.group(1)] = [c.strip() for c in match.group(2).split("|")]
    return rows


def _env_names(name: str, info: FieldInfo) -> list[str]:
    choices = getattr(info.validation_alias, "choices", None)
    if choices:
        return [str(c) for c in choices]
    return [f"{Settings.model_config.get('env_prefix', '')}{name}".upper()]


def _default_text(value: Any) -> str | None:
    """How the doc writes a default (``None``: the doc says what unset means)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def test_every_setting_is_documented_with_its_variable_and_default() -> None:
    rows = _rows()
    missing = [name for name in Settings.model_fields if name not in rows]
    assert not missing, f"settings missing from docs/configuration.md: {missing}"
    for name, info in Settings.model_fields.items():
        variable, default, meaning = rows[name][:3]
        for env in _env_names(name, info):
            assert f"`{env}`" in variable, f"{name}: {env} not named"
        expected = _default_text(info.default)
        if expected is None:
            assert default.startswith("unset"), f"{name}: default is unset, doc says {default}"
        else:
            assert default.split()[0] == f"`{expected}`", f"{name}: default {expected!r}"
        assert len(meaning) > 10, f"{name}: say what it does"


def test_the_doc_lists_no_setting_that_does_not_exist() -> None:
    documented = {
        name for name, cells in _rows().items() if cells and cells[0].startswith("`CREDIT_")
    }
    documented |= {n for n, c in _rows().items() if c and c[0].startswith("`DATABASE_URL`")}
    documented |= {n for n, c in _rows().items() if c and c[0].startswith("`MLFLOW_")}
    stale = documented - set(Settings.model_fields)
    assert not stale, f"docs/configuration.md documents unknown settings: {sorted(stale)}"


def test_database_and_mlflow_urls_keep_their_conventional_names() -> None:
    rows = _rows()
    assert rows["database_url"][0].startswith("`DATABASE_URL`")
    assert rows["mlflow_tracking_uri"][0].startswith("`MLFLOW_TRACKING_URI`")
