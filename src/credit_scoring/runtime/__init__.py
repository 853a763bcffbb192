"""Everything needed to score: the model bundle and its metadata, fast single-row predict,
TreeSHAP reasons, points, applying calibration, online features and the history store reader.

Imports only the schema, errors, settings, small utilities and the pure feature helpers of
:mod:`credit_scoring.features` — never training, storage, serving, batch, dashboard or
monitoring code, so the API starts without the training stack.
"""
