"""The hand-off store's schema revisions, one file each; Alembic loads them by path (see ``migrations``)."""
