"""The live monitor: what the service decided in a window of traffic, how it turned out, and drift."""
