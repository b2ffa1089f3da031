"""Training, evaluation and promotion of the escalation model."""
