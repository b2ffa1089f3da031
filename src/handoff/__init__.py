"""Hand-off to humans: the full-context packet and its summary."""
