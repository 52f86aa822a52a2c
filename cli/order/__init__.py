"""Commands on orders through the orders API: `place`, `status`, `cancel`, `compensation`."""
