"""`orders codec`: payload encryption keys."""
