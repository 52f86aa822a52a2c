"""Test card tokens, named after Stripe's, and what each one does."""

from __future__ import annotations

from orders.problems import ProblemError

# Tokens that succeed, and the card brand each stands for.
APPROVED: dict[str, str] = {"tok_visa": "visa", "tok_mastercard": "mastercard"}

# Tokens that are declined, with their decline code.
DECLINED: dict[str, str] = {
    "tok_chargeDeclined": "card_declined",
    "tok_insufficientFunds": "insufficient_funds",
}

_DETAILS = {
    "card_declined": "The card was declined.",
    "insufficient_funds": "The card has insufficient funds.",
    "invalid_token": "The payment token is not valid.",
}


def authorize(token: str) -> str:
    """The card brand of an approved token; raises a 402 problem for any other token."""
    brand = APPROVED.get(token)
    if brand is not None:
        return brand
    code = DECLINED.get(token, "invalid_token")
    raise ProblemError(402, code, "Payment declined", _DETAILS[code], decline_code=code)
