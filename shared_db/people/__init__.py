"""People and who may book: identity (no database), the register, eligibility rules, lookups for agents.

`from shared_db.people import ...` offers identity and the register; eligibility.py,
reference.py (the spring-2021 rules as rows) and lookup.py (agents' search) are
imported by name.
"""
from shared_db.people.identity import (
    PersonDetails,
    is_mobile,
    mask_phone,
    name_key,
    normalise_phone,
    validate_details,
)
from shared_db.people.registry import (
    find_person,
    keep_at_least_until,
    register,
    register_person,
)

__all__ = [
    "PersonDetails", "is_mobile", "mask_phone", "name_key", "normalise_phone", "validate_details",
    "find_person", "keep_at_least_until", "register", "register_person",
]
