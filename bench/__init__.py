"""Benchmarks of eschool, each measured against a baseline in the same run.

Every script starts what it needs, drives it from separate processes, prints one JSON object of
figures and stops everything it started. ``python -m bench.run_all`` runs the quick sizes of all.
"""
