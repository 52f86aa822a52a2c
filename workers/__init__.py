"""Composition roots: each module builds one process's collaborators and runs it."""
