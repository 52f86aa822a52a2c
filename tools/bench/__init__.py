"""`orders bench`: throughput and latency of the real stack, against a no-op workflow's limit."""
