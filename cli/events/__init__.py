"""`orders events`: re-feed the order events of a time range to one consumer."""
