"""Console accounts: creation and password hashing (scrypt via werkzeug)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from shared_db.errors import InvalidInput
from shared_db.models import Centre, User

ROLES = ("agent", "supervisor", "admin", "centre")


def add_user(session: Session, username: str, password: str, role: str, display_name: str | None = None,
             phone: str | None = None, centre_id: int | None = None) -> User:
    """Create a console account; the password is stored only as a salted scrypt hash.

    Centre staff (`centre`) belong to one centre and see only its check-in.
    """
    if role not in ROLES:
        raise InvalidInput("role", f"one of {', '.join(ROLES)}")
    if role == "centre" and (centre_id is None or session.get(Centre, centre_id) is None):
        raise InvalidInput("centre", "centre staff need their centre (an existing centre id)")
    if len(password) < 10:
        raise InvalidInput("password", "at least 10 characters")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise InvalidInput("username", "already taken")
    user = User(username=username, display_name=display_name or username, role=role, phone=phone,
                centre_id=centre_id if role == "centre" else None,
                password_hash=generate_password_hash(password, method="scrypt"))
    session.add(user)
    session.flush()
    return user


def password_matches(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)
