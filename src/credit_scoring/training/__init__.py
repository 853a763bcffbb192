"""Model training: cross-validated LightGBM against baselines, tuning, cost-optimal threshold,
calibration fitting, the scorecard challenger, fairness, the model card, registry writes and the
run that ties them together (:func:`credit_scoring.training.run.run_training`).

Imports :mod:`credit_scoring.runtime` (the bundle it writes); the runtime never imports it.
"""
