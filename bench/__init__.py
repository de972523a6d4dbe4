"""Benchmarks that print one JSON object of figures to stdout (see bench/README.md)."""
