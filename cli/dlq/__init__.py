"""`orders dlq`: the dead letters of the side-effect consumers: listed, re-fed, purged."""
