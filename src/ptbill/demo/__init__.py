"""Synthetic demo data: a clinic's visits for trying ptbill, tests and benchmarks."""
