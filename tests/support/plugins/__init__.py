"""Pytest plugins (fixtures and hooks), loaded for every test by ``pytest_plugins`` in tests/conftest.py."""
