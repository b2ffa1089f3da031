"""Importers for real helpdesk exports: a column mapping for any CSV/JSONL/Parquet, CFPB complaints, Twitter.

Each importer validates every ticket against the contract before writing it and accounts for every
source row: ``rows read = ticket rows + rows rejected (+ rows skipped)``. Entry point:
``ticketbuddy.data.importers.runner.import_file``.
"""
