"""Benchmarks for the desk: search and check-in on a generated club of 100,000 members.

Run with `make bench` or `python -m benchmarks --help`. Nothing is cached in the repository: the
databases live in a temporary folder (or --workdir) and are removed at the end of the run.
"""
