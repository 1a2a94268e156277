"""The benchmark: trafficlint against two floors and a DuckDB SQL reference.

See bench/RESULTS.md for what it measured and `python -m bench --help` for how to run it.
"""
