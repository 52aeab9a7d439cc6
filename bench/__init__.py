"""Benchmarks of the hotline against its floors: ``python bench/run.py`` prints one table."""
