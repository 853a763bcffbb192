"""The scoring API: validated raw applications in, logged decisions with reasons out.

``credit_scoring.serving.app.create_app(settings)`` builds the FastAPI application and
``credit-scoring serve`` runs it. Nothing is imported here, so light modules of the package
(e.g. the log formatter the server's logging configuration names) load quickly.
"""
