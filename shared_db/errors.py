"""Typed errors of the ledger: each limit answers with its own class and a stable code."""
from __future__ import annotations

from datetime import date


class LedgerError(Exception):
    """Base for every refusal of the ledger; `code` is stable for APIs and prompts."""

    code = "ledger_error"


class SlotUnavailable(LedgerError):
    """No free capacity left in the pools the channel may use (or no bookable second dose)."""

    code = "slot_gone"


class HoldExpired(LedgerError):
    """The hold lapsed before it was confirmed; its capacity is back in the pool."""

    code = "hold_expired"


class BookingNotFound(LedgerError):
    code = "not_found"


class InvalidTransition(LedgerError):
    """The booking is not in a state that allows this step (e.g. confirming a cancelled one)."""

    code = "invalid_state"


class PersonAlreadyBooked(LedgerError):
    """Anti-phantom limit: one active booking per person (normalised name + birth date)."""

    code = "already_booked"

    def __init__(self, booking_code: str | None = None):
        super().__init__("this person already has an active booking")
        self.booking_code = booking_code


class CallerLimitReached(LedgerError):
    """Anti-phantom limit: too many people booked from one calling number in 24 hours."""

    code = "number_limit"

    def __init__(self, limit: int):
        super().__init__(f"at most {limit} people may be booked from one number in 24 hours")
        self.limit = limit


class NeedsAgent(LedgerError):
    """The person missed their last appointment; by setting, only an agent may book them again."""

    code = "needs_agent"


class NotEligible(LedgerError):
    """The person may not book (yet); `opens_on` is when their group opens, if known."""

    code = "not_eligible"

    def __init__(self, reason: str, opens_on: date | None = None):
        super().__init__(reason)
        self.reason = reason
        self.opens_on = opens_on


class InvalidInput(LedgerError):
    """Input that cannot be used, with the field that is wrong."""

    code = "invalid_input"

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InvitationInvalid(LedgerError):
    """No invitation has this code (a typing mistake is caught by the check digit)."""

    code = "invitation_invalid"


class InvitationNotYours(LedgerError):
    """The code belongs to another person's name and date of birth: it was forwarded."""

    code = "invitation_not_yours"


class InvitationUsed(LedgerError):
    """The invitation already belongs to an active booking (it is released when that booking is cancelled)."""

    code = "invitation_used"
