"""Benchmarks: the bridge against a bare Starlette endpoint, measured in the same run.

`python -m bench` (or `make bench`) starts the servers as uvicorn subprocesses on loopback,
drives them from a separate load process, prints a table and writes `bench/results/latest.json`.
"""
