"""One router per resource: scores, outcomes, model, admin, health and metrics."""
