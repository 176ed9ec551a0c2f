"""Benchmarks of the Kinerja API (see bench/README.md)."""
