"""Contracts shared by every part of hybrid-orders: models, statuses, errors, settings, Temporal.

This package is the ground floor: it imports none of the others, and everything else imports it.
"""
