"""Thin adapters from the workflow to the participants: call, map errors, return a model."""
