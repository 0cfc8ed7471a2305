"""Benchmarks: scripts that print a table and compare against floors measured in the same run."""
