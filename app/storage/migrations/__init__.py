"""Alembic migrations of the call log (a package, so that installs ship it)."""
