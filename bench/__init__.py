"""Benchmarks of the provider, each beside a ceiling measured on the same machine in the same run.

Run everything with ``.venv/bin/python -m bench`` (``bench/README.md``).
"""
