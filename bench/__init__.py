"""Benchmarks: each module prints figures with ratios against a baseline measured in the same run."""
