"""Helpers of the test suite, one concept a module; ``tests.support.plugins`` holds the fixtures
that tests/conftest.py loads. bench/ imports from ``tests.support.public`` only."""
