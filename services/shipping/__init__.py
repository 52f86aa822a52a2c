"""The shipping service: schedules shipments with a carrier, and cancels them."""
