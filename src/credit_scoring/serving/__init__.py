"""The scoring API: validated raw applications in, logged decisions with reasons out.

``create_app(settings)`` builds the FastAPI application; ``credit-scoring serve`` runs it.
"""

from credit_scoring.serving.app import create_app

__all__ = ["create_app"]
