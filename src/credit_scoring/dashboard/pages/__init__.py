"""Pages of the dashboard (Streamlit scripts with a ``render`` function)."""
