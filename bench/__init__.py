"""Benchmarks (``make bench``) and the browser helpers they share with the UI tests."""
