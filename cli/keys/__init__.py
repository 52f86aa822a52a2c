"""`orders keys`: the API keys the orders API accepts."""
