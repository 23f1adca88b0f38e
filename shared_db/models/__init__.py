"""The one schema both channels use: SQLAlchemy 2.0 typed models.

Times are stored as UTC (see `UTCDateTime`); local calendar days are computed
with the centre's time zone. Invariants that must hold under concurrency are
check constraints and unique indexes here, not Python checks elsewhere.
"""
from shared_db.models.base import (
    ACTIVE_STATUSES,
    BOOKING_STATUSES,
    CHANNELS,
    DOSE_KINDS,
    NAMING,
    POOLS,
    Base,
)
from shared_db.models.calls import CallbackRequest, CallSession, QueueEntry
from shared_db.models.ledger import (
    Booking,
    CareHomeVisit,
    Centre,
    CentrePostcode,
    Delivery,
    FreedCapacity,
    Slot,
    Vaccine,
)
from shared_db.models.messages import Notification
from shared_db.models.operations import (
    ApiClient,
    AuditEntry,
    IdempotencyRecord,
    PurgeRecord,
    Setting,
    User,
)
from shared_db.models.people import (
    CampaignWindow,
    EligibilityRule,
    Invitation,
    OpeningNotice,
    Person,
    PersonNote,
    PriorityGroup,
    VaccineAgeBand,
)

__all__ = [
    "Base",
    "NAMING",
    "ACTIVE_STATUSES",
    "BOOKING_STATUSES",
    "CHANNELS",
    "POOLS",
    "DOSE_KINDS",
    "Centre",
    "CentrePostcode",
    "Vaccine",
    "Slot",
    "Booking",
    "CareHomeVisit",
    "Delivery",
    "FreedCapacity",
    "PriorityGroup",
    "EligibilityRule",
    "CampaignWindow",
    "Invitation",
    "OpeningNotice",
    "VaccineAgeBand",
    "Person",
    "PersonNote",
    "CallSession",
    "QueueEntry",
    "CallbackRequest",
    "Notification",
    "AuditEntry",
    "User",
    "ApiClient",
    "IdempotencyRecord",
    "Setting",
    "PurgeRecord",
]
