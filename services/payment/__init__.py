"""The payment service: card charges (captured at once) and their refunds, with test tokens."""
