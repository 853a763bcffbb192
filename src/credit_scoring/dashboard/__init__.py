"""The monitoring dashboard (Streamlit): ``credit-scoring dashboard``."""
