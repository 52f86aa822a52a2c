"""The public HTTP API: start, inspect, list and cancel orders."""
