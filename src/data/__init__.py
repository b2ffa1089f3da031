"""Ticket histories: the contract reader, the generator, importers and profiles."""
