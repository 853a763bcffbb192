"""Entry point of the Streamlit dashboard (``credit-scoring dashboard`` runs this file).

Before login only the login page exists; after login the pages are: Score an application,
Overview, Service, Drift, Performance and Model.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

# Imported here so plotly loads while the login page is shown, not on the first chart page.
from credit_scoring.dashboard import charts as _charts  # noqa: F401
from credit_scoring.dashboard import ui

PAGES = Path(__file__).resolve().parent / "pages"


def main() -> None:
    st.set_page_config(
        page_title="credit-scoring", page_icon=":material/monitoring:", layout="wide"
    )
    if not ui.logged_in():
        login = st.Page(ui.login_page, title="Log in", icon=":material/login:")
        navigation = st.navigation([login])
    else:
        navigation = st.navigation(
            {
                "Decisions": [
                    _page("score.py", "Score an application", "calculate", default=True),
                    _page("overview.py", "Overview", "insights"),
                ],
                "Monitoring": [
                    _page("service.py", "Service", "speed"),
                    _page("drift.py", "Drift", "ssid_chart"),
                    _page("performance.py", "Performance", "query_stats"),
                ],
                "Model": [_page("model.py", "Model", "model_training")],
            }
        )
        ui.sidebar_account()
    navigation.run()


def _page(file: str, title: str, icon: str, *, default: bool = False) -> st.Page:
    return st.Page(PAGES / file, title=title, icon=f":material/{icon}:", default=default)


if __name__ == "__main__":  # run by Streamlit as a script
    main()
