"""Benchmarks: pruning throughput, app latency, and the quality/cost comparison of the methods."""
