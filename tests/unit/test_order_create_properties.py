"""Property-based tests of `OrderCreate`: it accepts every well-formed order and only those."""

from __future__ import annotations

import string
from typing import Any

import pycountry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from api.schemas import OrderCreate

PROPERTIES = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)

text = st.text(alphabet=string.ascii_letters + string.digits + " .-'", min_size=1, max_size=200)
non_blank = text.filter(lambda s: s.strip() != "")
countries = st.sampled_from(sorted(c.alpha_2 for c in pycountry.countries))
currencies = st.sampled_from(sorted(c.alpha_3 for c in pycountry.currencies))
items = st.lists(
    st.fixed_dictionaries(
        {
            "sku": st.text(string.ascii_uppercase + string.digits + "-", min_size=1, max_size=64),
            "quantity": st.integers(1, 1000),
        }
    ),
    min_size=1,
    max_size=100,
)
orders = st.fixed_dictionaries(
    {
        "customer_id": non_blank,
        "currency": currencies,
        "items": items,
        "payment_token": non_blank,
        "shipping_address": st.fixed_dictionaries(
            {
                "name": non_blank,
                "line1": non_blank,
                "city": non_blank,
                "postal_code": non_blank,
                "country": countries,
            }
        ),
    },
    optional={
        "order_id": st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z"),
        "customer_email": st.emails(),
    },
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=20,
)


@PROPERTIES
@given(orders)
def test_every_well_formed_order_is_accepted_and_becomes_a_workflow_input(
    body: dict[str, Any],
) -> None:
    order = OrderCreate.model_validate(body)
    workflow_input = order.to_input(body.get("order_id", "generated"))
    assert [i.quantity for i in workflow_input.items] == [i["quantity"] for i in body["items"]]


@PROPERTIES
@given(
    orders,
    st.sampled_from(
        [
            ("items", []),
            ("currency", "usd"),
            ("currency", "XXQ"),
            ("customer_id", "   "),
            ("payment_token", ""),
            ("unknown_field", 1),
        ]
    ),
)
def test_one_bad_field_is_refused(body: dict[str, Any], change: tuple[str, Any]) -> None:
    field, value = change
    try:
        OrderCreate.model_validate({**body, field: value})
    except ValidationError as exc:
        assert exc.errors()[0]["loc"][0] == field
    else:
        raise AssertionError(f"accepted {field}={value!r}")


@PROPERTIES
@given(orders, st.one_of(st.integers(max_value=0), st.integers(min_value=1001)))
def test_absurd_quantities_are_refused(body: dict[str, Any], quantity: int) -> None:
    body["items"][0]["quantity"] = quantity
    try:
        OrderCreate.model_validate(body)
    except ValidationError as exc:
        assert exc.errors()[0]["loc"][:3] == ("items", 0, "quantity")
    else:
        raise AssertionError(f"accepted quantity {quantity}")


@PROPERTIES
@given(json_values)
def test_arbitrary_json_is_refused_with_a_validation_error_and_nothing_else(value: Any) -> None:
    try:
        OrderCreate.model_validate(value)
    except ValidationError:
        return
    raise AssertionError(f"accepted {value!r}")
