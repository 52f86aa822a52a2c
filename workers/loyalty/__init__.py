"""The loyalty consumer: a points ledger per customer.

`OrderCompleted` credits one point per whole currency unit of the order's total (75.99 USD →
75 points) as one ledger row; failed and cancelled orders earn nothing but are recorded as
processed. The ledger row and the event id commit together, so points are credited once.
"""
