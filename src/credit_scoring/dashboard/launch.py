"""How the dashboard is started: the Streamlit command line of :data:`APP` (used by the
``credit-scoring dashboard`` command and by the browser tour)."""

from __future__ import annotations

import sys
from pathlib import Path

#: The Streamlit entry script of the dashboard.
APP = Path(__file__).resolve().parent / "app.py"


def streamlit_command(app_path: Path, *, host: str, port: int) -> list[str]:
    """The ``streamlit run`` command line of the dashboard (no telemetry, no file watcher)."""
    return [
        sys.executable, "-m", "streamlit", "run", str(app_path),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        "--global.developmentMode", "false",
        "--client.toolbarMode", "viewer",
    ]  # fmt: skip
