"""The scoring API and batch scoring."""
