"""Shipping routes: shipments (`servicekit.resource`)."""

from __future__ import annotations

from servicekit.resource import Create, Resource, Undo, resource_router
from services.shipping import shipments
from services.shipping.models import Shipment
from services.shipping.schemas import ShipmentCreate, ShipmentPublic

SHIPMENTS = Resource(
    kind="shipment",
    table=Shipment,
    public=ShipmentPublic,
    create=Create(
        ShipmentCreate,
        shipments.schedule,
        "Schedule a shipment of an order's items to its address.",
        problems=(422, 503),
    ),
    undo=Undo("cancel", shipments.cancel, "Cancel a shipment; a second cancel changes nothing."),
)

router = resource_router(SHIPMENTS, tags=["shipping"])
