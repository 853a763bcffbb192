"""Interactive API documentation served by the API itself (``/docs`` Swagger UI, ``/redoc``).

FastAPI's default pages load their JavaScript and CSS from a CDN, so they are blank offline or
behind a strict firewall. Here the assets come from the ``fastapi-offline`` package's vendored
copies (Swagger UI 5, ReDoc 2), mounted under :data:`STATIC_PATH`.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_PATH = "/static/docs"
ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png")


def assets_dir() -> Path:
    """The folder of the vendored documentation assets."""
    return Path(str(files("fastapi_offline") / "static"))


def add_offline_docs(app: FastAPI, *, docs_url: str = "/docs", redoc_url: str = "/redoc") -> None:
    """Serve Swagger UI and ReDoc from the API's own static files (create the app with
    ``docs_url=None, redoc_url=None``)."""
    folder = assets_dir()
    missing = [name for name in ASSETS if not (folder / name).is_file()]
    if missing:
        raise RuntimeError(f"documentation assets missing from {folder}: {missing}")
    app.mount(STATIC_PATH, StaticFiles(directory=folder), name="docs-static")
    openapi_url = app.openapi_url or "/openapi.json"

    async def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} — Swagger UI",
            swagger_js_url=f"{STATIC_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC_PATH}/favicon.png",
        )

    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} — ReDoc",
            redoc_js_url=f"{STATIC_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{STATIC_PATH}/favicon.png",
            with_google_fonts=False,
        )

    app.add_api_route(docs_url, swagger, include_in_schema=False, methods=["GET"])
    app.add_api_route(redoc_url, redoc, include_in_schema=False, methods=["GET"])
