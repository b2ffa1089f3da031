"""The escalation policy: what an organisation insists on, on top of the learned model."""
