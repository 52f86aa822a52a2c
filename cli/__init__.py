"""The `orders` command and the local stack it runs."""
