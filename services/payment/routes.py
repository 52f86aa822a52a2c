"""Payment routes: charges and refunds (`servicekit.resource`)."""

from __future__ import annotations

from servicekit.resource import Create, Resource, Undo, resource_router
from services.payment import charges
from services.payment.models import Charge
from services.payment.schemas import ChargeCreate, ChargePublic

CHARGES = Resource(
    kind="charge",
    table=Charge,
    public=ChargePublic,
    create=Create(
        ChargeCreate,
        charges.charge,
        "Charge a card token and capture the amount at once.",
        problems=(402, 422, 503),
    ),
    undo=Undo(
        "refund", charges.refund, "Refund a charge in full; a second refund changes nothing."
    ),
)

router = resource_router(CHARGES, tags=["payment"])
