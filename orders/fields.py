"""The validated field types of the contracts, one definition each.

The order and activity models (`orders.models`) and the participants' request bodies
(`services.*.schemas`) are built from these, so a value the workflow accepts is one every
participant accepts too.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

NonEmpty = Annotated[str, Field(min_length=1, max_length=200)]
OrderId = Annotated[str, Field(min_length=1, max_length=200, examples=["ord_123"])]
Sku = Annotated[str, Field(min_length=1, max_length=64, examples=["WIDGET-1"])]
Quantity = Annotated[int, Field(ge=1, le=1000)]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["USD"])]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", examples=["US"])]
MinorUnits = Annotated[int, Field(ge=0, description="Amount in minor units (cents).")]
