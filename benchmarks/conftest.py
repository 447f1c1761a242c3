"""Benchmarks are run separately from the tests: pytest benchmarks/ --benchmark-only."""
