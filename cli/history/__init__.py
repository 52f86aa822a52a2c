"""`orders history` and `orders replay`: download workflow histories, replay them against the
workflow code before a deploy."""
