"""Benchmarks: scripts that build data, time the portal and print their figures
(docs/benchmarks.md)."""
