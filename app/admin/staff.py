"""Staff accounts and roles, with the two rules a school can never break: at least one active
school admin and at least one active designated safeguarding lead."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from ..auth.service import hash_password, unlock
from ..db import db
from ..models import ROLE_NAMES, ROLES, School, StaffRole, User
from . import audit
from .errors import Refused

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,58}[a-z0-9]$")
# Rules that keep a school working: who must always be there, and the words if not.
KEEP = {
    "school_admin": "The school must always have at least one active school admin. "
                    "Give another person the school admin role first.",
    "safeguarding_lead": "The school must always have at least one active safeguarding lead, "
                         "so that every worry reaches someone. Make another person the "
                         "safeguarding lead first.",
}


@dataclass(frozen=True)
class StaffDetails:
    display_name: str
    email: str | None
    roles: frozenset[str]


def one_time_password() -> str:
    """A first-time password, shown once to the admin and changed at first sign-in."""
    return "-".join(secrets.token_hex(2) for _ in range(4))


def _snapshot(user: User) -> dict[str, Any]:
    return {"display_name": user.display_name, "email": user.email or "",
            "roles": sorted(user.role_names), "active": user.enabled}


def _active_holders(school_id: int, role: str) -> set[int]:
    return set(db.session.scalars(
        select(User.id).join(StaffRole, StaffRole.user_id == User.id)
        .where(User.school_id == school_id, User.enabled.is_(True), StaffRole.role == role)))


def _check_keeps(user: User, roles_after: set[str], active_after: bool) -> None:
    """Refuse a change that would leave the school without its last admin or lead."""
    for role, message in KEEP.items():
        holders = _active_holders(user.school_id, role)
        after = set(holders)
        after.discard(user.id)
        if active_after and role in roles_after:
            after.add(user.id)
        if holders and not after:
            raise Refused(message, "roles")


def username_problem(username: str) -> str | None:
    if not USERNAME_RE.match(username):
        return ("Use 3 to 60 lower-case letters, numbers, dots, dashes or underscores, "
                "starting and ending with a letter or number.")
    if db.session.scalar(select(func.count(User.id)).where(User.username == username)):
        return "That username is taken. Try adding a number or an initial."
    return None


def add_staff(school: School, actor: User | None, username: str,
              details: StaffDetails) -> tuple[User, str]:
    """A new member of staff with a one-time password they change at first sign-in."""
    username = username.strip().lower()
    problem = username_problem(username)
    if problem:
        raise Refused(problem, "username")
    if not details.roles <= set(ROLES):
        raise Refused("Choose roles from the list.", "roles")
    password = one_time_password()
    user = User(school_id=school.id, kind="staff", username=username,
                display_name=details.display_name.strip(), email=details.email or None,
                password_hash=hash_password(password), must_change_password=True)
    db.session.add(user)
    db.session.flush()
    for role in sorted(details.roles):
        db.session.add(StaffRole(user_id=user.id, role=role))
    db.session.flush()
    audit.record(school.id, actor, "staff.add", "user", user.id,
                 f"Added {user.display_name} ({_role_words(details.roles)})",
                 after={"username": username, **_snapshot(user),
                        "roles": sorted(details.roles)})
    return user, password


def update_staff(user: User, actor: User, details: StaffDetails) -> None:
    if not details.roles <= set(ROLES):
        raise Refused("Choose roles from the list.", "roles")
    _check_keeps(user, set(details.roles), user.enabled)
    before = _snapshot(user)
    user.display_name = details.display_name.strip()
    user.email = details.email or None
    current = {r.role: r for r in user.roles}
    for role, row in current.items():
        if role not in details.roles:
            user.roles.remove(row)
    for role in sorted(details.roles - set(current)):
        user.roles.append(StaffRole(role=role))
    db.session.flush()
    old, new = audit.changed(before, {**_snapshot(user), "roles": sorted(details.roles)})
    if new:
        audit.record(user.school_id, actor, "staff.edit", "user", user.id,
                     f"Changed {user.display_name}: {', '.join(new)}", old, new)


def set_active(user: User, actor: User, active: bool) -> None:
    """Deactivate (every live session ends at once) or reactivate a member of staff."""
    if user.enabled == active:
        return
    if not active and user.id == actor.id:
        raise Refused("You cannot deactivate your own account. Ask another school admin.")
    if not active:
        _check_keeps(user, user.role_names, False)
    user.enabled = active
    user.end_sessions()
    audit.record(user.school_id, actor, "staff.activate" if active else "staff.deactivate",
                 "user", user.id,
                 f"{'Reactivated' if active else 'Deactivated'} {user.display_name}",
                 {"active": not active}, {"active": active})


def reset_password(user: User, actor: User) -> str:
    """A new one-time password for a member of staff or a parent; old sessions end."""
    password = one_time_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    unlock(user)
    user.end_sessions()
    audit.record(user.school_id, actor, "account.reset-password", "user", user.id,
                 f"Gave {user.display_name} a new one-time password")
    return password


def _role_words(roles: Iterable[str]) -> str:
    return ", ".join(ROLE_NAMES[r] for r in sorted(roles)) or "no roles"


def school_warnings(school_id: int) -> list[str]:
    """What a new school still needs before it is safe to use."""
    out = []
    if not _active_holders(school_id, "safeguarding_lead"):
        out.append("There is no active safeguarding lead yet, so a worry would reach nobody. "
                   "Add your designated safeguarding lead now.")
    return out


def unlock_account(user: User, actor: User) -> None:
    """Lift every sign-in pause of a member of staff (unknown clients, devices, second step)."""
    unlock(user)
    audit.record(user.school_id, actor, "account.unlock", "user", user.id,
                 f"Unpaused sign-in for {user.display_name}")


def reset_two_step(user: User, actor: User) -> None:
    """A lost phone: two-step sign-in is set up again at next sign-in; sessions end."""
    from ..auth import twostep

    twostep.turn_off(user)
    audit.record(user.school_id, actor, "account.reset-two-step", "user", user.id,
                 f"Reset two-step sign-in for {user.display_name} (set up again at next "
                 "sign-in)")
