"""Entry point of the Streamlit dashboard (``credit-scoring dashboard`` runs this file).

Before login only the login page exists; after login a user sees the pages of their role
(:data:`PAGE_ROLES`): viewers the monitoring pages (Overview, Service, Drift, Performance,
Model), underwriters also Score an application and the Review queue, admins also Users. Each
page checks the role again when it runs.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

# Imported here so plotly loads while the login page is shown, not on the first chart page.
from credit_scoring.dashboard import charts as _charts  # noqa: F401
from credit_scoring.dashboard import ui

PAGES = Path(__file__).resolve().parent / "pages"
#: The least role that may open each page (file name → role).
PAGE_ROLES = {
    "review.py": "underwriter",
    "score.py": "underwriter",
    "overview.py": "viewer",
    "service.py": "viewer",
    "drift.py": "viewer",
    "performance.py": "viewer",
    "model.py": "viewer",
    "users.py": "admin",
}


def main() -> None:
    st.set_page_config(
        page_title="credit-scoring", page_icon=":material/monitoring:", layout="wide"
    )
    user = ui.current_user()
    if user is None:
        login = st.Page(ui.login_page, title="Log in", icon=":material/login:")
        navigation = st.navigation([login])
    else:
        sections = {
            "Decisions": [
                _page("review.py", "Review queue", "fact_check"),
                _page("score.py", "Score an application", "calculate"),
                _page("overview.py", "Overview", "insights"),
            ],
            "Monitoring": [
                _page("service.py", "Service", "speed"),
                _page("drift.py", "Drift", "ssid_chart"),
                _page("performance.py", "Performance", "query_stats"),
            ],
            "Model": [_page("model.py", "Model", "model_training")],
            "Admin": [_page("users.py", "Users", "group")],
        }
        allowed = {
            section: [page for file, page in pages if user.may(PAGE_ROLES[file])]
            for section, pages in sections.items()
        }
        navigation = st.navigation({k: v for k, v in allowed.items() if v})
        ui.sidebar_account(user)
    navigation.run()


def _page(file: str, title: str, icon: str) -> tuple[str, st.Page]:
    return file, st.Page(PAGES / file, title=title, icon=f":material/{icon}:")


if __name__ == "__main__":  # run by Streamlit as a script
    main()
