"""Model governance: the lifecycle of registered versions (candidate → validated → approved →
champion), the validation report, bundle signing and the like-for-like comparison.

Layered like training: may import runtime, store and training; serving never imports it
(signature verification lives in ``runtime/signature.py``).
"""
