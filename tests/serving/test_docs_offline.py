"""``/docs`` and ``/redoc`` load every asset from the API itself (they work offline)."""

from __future__ import annotations

import re

import httpx

SOURCES = re.compile(r"""(?:src|href)\s*=\s*['"]([^'"]+)['"]""")
SWAGGER_JS = re.compile(r"""url\s*:\s*['"]([^'"]+)['"]""")


def _assets(html: str) -> list[str]:
    return [u for u in SOURCES.findall(html) if not u.startswith("#")]


def test_the_documentation_pages_load_their_scripts_from_the_api(live_server) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=live_server.url, timeout=10) as http:
        for page, script in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
            answer = http.get(page)
            assert answer.status_code == 200, page
            assets = _assets(answer.text)
            assert any(a.endswith(script) for a in assets), (page, assets)
            for asset in assets:
                assert asset.startswith("/"), f"{page} loads {asset} from elsewhere"
                fetched = http.get(asset)
                assert fetched.status_code == 200, asset
                assert len(fetched.content) > 1000, asset
            assert "http://" not in answer.text and "https://" not in answer.text, page
        bundle = http.get("/static/docs/swagger-ui-bundle.js")
        assert b"SwaggerUIBundle" in bundle.content
        assert http.get("/openapi.json").json()["info"]["title"] == "credit-scoring API"
