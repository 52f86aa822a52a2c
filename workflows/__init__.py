"""Temporal workflows: deterministic code that imports only contracts, through the sandbox."""
