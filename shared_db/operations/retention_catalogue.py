"""The retention catalogue: every column of every table, personal or not, and the rule that deletes it.

A column that can tell who someone is or something about their health (names,
birth dates, numbers, addresses, recordings, free text typed about a person,
message texts) is PERSONAL and names the rule in RULES that deletes it; every other
column is listed in NOT_PERSONAL. tests/shared_db/test_retention_catalogue.py
compares both with the models, so a new column fails the suite until someone
decides which it is. `retention.purge` applies the rules; the README prints the
table from here (`hotline purge --rules`).

Days count in local calendar days (Europe/Berlin): "kept N days after day D"
means D .. D+N-1 are kept and the purge on day D+N deletes.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """When a group of personal values is deleted, in words an auditor can check against the code."""

    name: str
    when: str


RULES = {r.name: r for r in (
    Rule("person", "a person (and their notes) with no open booking: 14 days after registration "
                   "(HOTLINE_RETENTION_DAYS) and 30 days after their last booking ended - completed, no-show, "
                   "turned away or cancelled (HOTLINE_COMPLETED_RETENTION_DAYS), whichever is later"),
    Rule("booking_trace", "a booking's number and reason text: with its person; bookings that never had one "
                          "(lapsed holds): 14 days after they were made. The booking stays, anonymous, for counts"),
    Rule("message", "an outgoing message (number and text): 14 days after it was due; a 'tell me when my group "
                    "opens' notice as soon as it is sent (or finally failed); a person's messages with the person"),
    Rule("call_record", "call state, IVR answers and the queue's calling numbers: 14 days after the call"),
    Rule("callback", "a callback request: 14 days after it was due, whatever became of it; a 'group opens' "
                     "callback as soon as it is done or given up; a 'tell me when my group opens' notice "
                     "(opening_notices) is kept while it waits for its group, then 14 days after it was asked"),
    Rule("invitation", "a named invitation (name, birth date, contact from a facility's list): 90 days after "
                       "import"),
    Rule("api_replay", "the online API's stored answers for retries: 2 days"),
    Rule("free_text", "free text typed by staff (fill-task outcomes, audit reasons): 14 days after it was "
                      "written; audit reasons about a person's bookings with the person"),
    Rule("staff", "console accounts of staff (not citizens): kept while the account exists, removed by an admin"),
)}

# (table, column) -> rule name
PERSONAL: dict[tuple[str, str], str] = {
    ("people", "name"): "person",
    ("people", "name_key"): "person",
    ("people", "date_of_birth"): "person",
    ("people", "postcode"): "person",
    ("people", "phone"): "person",
    ("people", "priority_group"): "person",  # derived from age, conditions or occupation: health data
    ("people", "name_recording_url"): "person",
    ("people", "language"): "person",
    ("people", "wants_notification"): "person",
    ("person_notes", "body"): "person",
    ("bookings", "caller_number"): "booking_trace",
    ("bookings", "cancel_reason"): "booking_trace",
    ("notifications", "to_number"): "message",
    ("notifications", "body"): "message",
    ("call_sessions", "from_number"): "call_record",
    ("call_sessions", "data"): "call_record",
    ("call_sessions", "last_response"): "call_record",
    ("queue_entries", "from_number"): "call_record",
    ("callback_requests", "phone"): "callback",
    ("callback_requests", "outcome"): "callback",
    ("invitations", "name_key"): "invitation",
    ("invitations", "date_of_birth"): "invitation",
    ("invitations", "name"): "invitation",
    ("invitations", "phone"): "invitation",
    ("invitations", "email"): "invitation",
    ("notifications", "to_email"): "message",
    ("opening_notices", "date_of_birth"): "callback",
    ("opening_notices", "phone"): "callback",
    ("opening_notices", "email"): "callback",
    ("idempotency_records", "response_body"): "api_replay",
    ("freed_capacity", "outcome"): "free_text",
    ("audit_log", "reason"): "free_text",
    ("users", "username"): "staff",
    ("users", "display_name"): "staff",
    ("users", "phone"): "staff",
}

# Columns that hold nothing personal, table by table ("why" where it is not obvious).
NOT_PERSONAL: dict[str, tuple[str, ...]] = {
    "centres": ("id", "name", "address", "city", "district", "neighbour_districts", "timezone", "active",
                "phone_release_hours", "phone_share_percent", "reconfirmation_enabled"),  # a facility's address
    "centre_postcodes": ("postcode", "centre_id"),
    "vaccines": ("id", "code", "name", "doses", "interval_min_days", "interval_max_days", "min_age", "max_age"),
    "slots": ("id", "centre_id", "vaccine_id", "starts_at", "duration_minutes", "dose", "phone_capacity",
              "phone_taken", "online_capacity", "online_taken", "phone_release_at"),
    # A booking without its person and number is a count: when, where, which vaccine, which batch.
    "bookings": ("id", "code", "person_id", "first_slot_id", "first_pool", "second_slot_id", "second_pool",
                 "status", "channel", "hold_expires_at", "created_at", "confirmed_at", "cancelled_at",
                 "reconfirmed_at", "created_by", "changed_by", "first_given_at", "first_batch", "second_given_at",
                 "second_batch", "ended_at", "visit_id", "verification"),
    "freed_capacity": ("id", "slot_id", "pool", "reason", "source_booking_id", "created_at", "status", "claimed_by",
                       "claim_expires_at", "filled_booking_id"),
    "deliveries": ("id", "centre_id", "vaccine_id", "week_start", "doses", "status", "updated_at", "updated_by"),
    "care_home_visits": ("id", "centre_id", "vaccine_id", "home_name", "home_address", "first_slot_id",
                         "second_slot_id", "created_at", "created_by"),  # a facility, its residents are people
    "priority_groups": ("id", "number", "name"),
    "eligibility_rules": ("id", "group_id", "kind", "min_age"),
    "campaign_windows": ("id", "group_id", "centre_id", "vaccine_id", "opens_on", "closes_on", "channels",
                         "requires_invitation", "min_age", "self_declared", "cancelled_at"),
    "vaccine_age_bands": ("id", "vaccine_id", "min_age", "max_age", "valid_from", "valid_until"),
    "invitations": ("id", "facility", "group_id", "code", "created_at", "booking_id", "sent_via",
                    "sent_at"),  # a code names nobody
    "opening_notices": ("id", "group_id", "channel", "language", "status", "created_at", "sent_at"),
    "people": ("id", "registered_via", "created_at", "retention_until"),
    "person_notes": ("id", "person_id", "author", "created_at"),  # author: a staff id
    "call_sessions": ("call_sid", "state", "language", "step", "last_request_key", "started_at", "updated_at",
                      "ended_at", "end_status"),
    "queue_entries": ("id", "call_sid", "language", "enqueued_at", "left_at", "outcome", "agent_id"),
    "callback_requests": ("id", "language", "reason", "place_at", "requested_at", "not_before", "status",
                          "claimed_by", "claim_expires_at", "attempts", "merged_count"),
    "notifications": ("id", "kind", "channel", "language", "booking_id", "person_id", "status", "due_at",
                      "attempts", "provider_id", "last_error", "created_at", "sent_at", "delivered_at"),
    # Personal values in before/after are masked when written (shared_db/audit.py); actors are staff ids.
    "audit_log": ("id", "at", "actor", "entity", "entity_id", "action", "before", "after"),
    "users": ("id", "password_hash", "role", "active", "failed_logins", "locked_until", "last_seen_at", "status",
              "centre_id"),
    "api_clients": ("id", "name", "key_prefix", "key_hash", "active", "created_at", "revoked_at"),
    "idempotency_records": ("id", "client_id", "key", "request_hash", "status_code", "created_at"),
    "settings": ("key", "value", "updated_at", "updated_by"),
    "purge_records": ("id", "at", "people_deleted", "bookings_anonymised", "notifications_deleted",
                      "call_sessions_deleted", "details"),
    "alembic_version": ("version_num",),
}


def rule_of(table: str, column: str) -> Rule | None:
    """The rule that deletes a column's values, or None for a column that holds nothing personal."""
    name = PERSONAL.get((table, column))
    return RULES[name] if name else None


def table_rows() -> list[tuple[str, str, str]]:
    """(rule, columns, when) for the README and `hotline purge --rules`."""
    rows = []
    for rule in RULES.values():
        columns = ", ".join(f"{t}.{c}" for (t, c), name in PERSONAL.items() if name == rule.name)
        rows.append((rule.name, columns, rule.when))
    return rows
