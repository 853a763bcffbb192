"""Users (admins only): who can log in, with which role; disable or change a role here,
create users with ``credit-scoring users add`` (the password never passes through a page)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from credit_scoring.dashboard import ui
from credit_scoring.store.users import ROLES, list_users, set_disabled, set_role


def render() -> None:
    admin = ui.require_role("admin")
    st.title("Users")
    users = list_users(ui.write_engine())
    st.dataframe(
        pd.DataFrame(
            [(u.username, u.role, "disabled" if u.disabled else "active", u.created_at)
             for u in users],
            columns=["user", "role", "status", "created"],
        ),
        hide_index=True,
    )  # fmt: skip
    st.caption("Create users with `credit-scoring users add NAME --role ROLE`.")
    others = [u.username for u in users if u.username != admin.username]
    if not others:
        return
    with st.form("user"):
        name = st.selectbox("User", others, key="users_pick")
        role = st.selectbox("Role", ROLES, key="users_role")
        action = st.radio("Action", ["set role", "disable", "enable"], key="users_action")
        submitted = st.form_submit_button("Apply")
    if submitted and name:
        if action == "set role":
            set_role(ui.write_engine(), name, role)
        else:
            set_disabled(ui.write_engine(), name, disabled=action == "disable")
        ui.audit("user_" + action.replace(" ", "_"), target=name, role=role)
        st.success(f"{name}: {action} done.")


if __name__ == "__main__":
    render()
