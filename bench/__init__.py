"""Benchmarks, run by hand (see README.md). Not part of the test suite or CI."""
