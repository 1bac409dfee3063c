"""The lead's triage entries, one small function each: typed values in, one entry added and
audited, flushed (the view commits). Rules that need the record's state raise
``WorryInputError`` naming the field; the forms have already checked each value's shape."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import or_, select

from ..db import db
from ..models import ACTIONS, REPLIES, STATUSES, User, Worry, WorryEntry
from .forms import (
    ActionForm,
    CorrectionForm,
    DoneForm,
    EntryForm,
    LinkForm,
    ReplyForm,
    ShareForm,
    StatusForm,
    UrgencyForm,
)
from .service import WorryInputError, audit, leads, state_of


def _add(worry: Worry, user: User, detail: str, **values: object) -> WorryEntry:
    entry = WorryEntry(school_id=worry.school_id, worry_id=worry.id, author_id=user.id,
                       **values)
    db.session.add(entry)
    audit(user, "change", f"worry {worry.id}", detail)
    db.session.flush()
    return entry


def set_urgency(worry: Worry, user: User, urgency: str, reason: str) -> WorryEntry:
    return _add(worry, user, f"urgency set to {urgency}", kind="urgency", urgency=urgency,
                text=reason)


def record_action(worry: Worry, user: User, action: str, notes: str | None,
                  owner_id: int | None = None, due_on: date | None = None,
                  happened_at: datetime | None = None) -> WorryEntry:
    """An action taken or to do; an owner must be a lead or deputy of the worry's school."""
    if owner_id is not None and owner_id not in {u.id for u in leads(worry.school_id)}:
        raise WorryInputError({"owner": "Choose a lead or deputy lead as the owner: only "
                                        "they may hold a safeguarding action."})
    detail = f"action recorded: {ACTIONS[action]}" + (f", due {due_on.isoformat()}"
                                                      if due_on else "")
    return _add(worry, user, detail, kind="action", action=action, text=notes or None,
                owner_id=owner_id, due_on=due_on, happened_at=happened_at)


def finish_action(worry: Worry, user: User, action_id: int, notes: str | None) -> WorryEntry:
    if action_id not in {a.id for a in state_of(worry).open_actions}:
        raise WorryInputError({"done": "Choose an open action."})
    return _add(worry, user, f"action {action_id} done", kind="done", refers_id=action_id,
                text=notes or None)


def set_status(worry: Worry, user: User, status: str, no_further_action: bool,
               note: str | None) -> WorryEntry:
    if status == state_of(worry).status and not no_further_action:
        raise WorryInputError({"status": f"The status is already {STATUSES[status].lower()}."})
    if no_further_action:
        status = "closed"
    detail = f"status set to {status}" + (" (no further action)" if no_further_action else "")
    return _add(worry, user, detail, kind="status", status=status,
                no_further_action=no_further_action, text=note or None)


def correct(worry: Worry, user: User, entry_id: int, text: str) -> WorryEntry:
    if entry_id not in {e.id for e in worry.entries}:
        raise WorryInputError({"corrects": "Choose the entry you are correcting."})
    return _add(worry, user, f"correction of entry {entry_id}", kind="correction",
                corrects_id=entry_id, text=text)


def share_outcome(worry: Worry, user: User, line: str) -> WorryEntry:
    """The short line the member of staff who raised a concern sees (never the record)."""
    return _add(worry, user, "outcome line shared with the referrer", kind="share", text=line)


def reply_to_child(worry: Worry, user: User, reply: str) -> WorryEntry:
    if worry.source != "pupil":
        raise WorryInputError({"reply": "Only a pupil's own worry can be answered."})
    if reply not in REPLIES:
        raise WorryInputError({"reply": "Choose a reply from the list."})
    return _add(worry, user, f"reply sent to the child: {reply}", kind="reply", reply=reply)


def linked_ids(worry: Worry) -> set[int]:
    """Every worry linked to this one, in either direction (one query)."""
    rows = db.session.execute(select(WorryEntry.worry_id, WorryEntry.linked_worry_id).where(
        WorryEntry.school_id == worry.school_id, WorryEntry.kind == "link",
        or_(WorryEntry.worry_id == worry.id, WorryEntry.linked_worry_id == worry.id))).all()
    return {i for row in rows for i in row if i is not None and i != worry.id}


def link(worry: Worry, user: User, other_id: int) -> WorryEntry:
    """Link another record of the same school about the same incident (append-only)."""
    other = db.session.get(Worry, other_id)
    if other is None or other.school_id != worry.school_id or other.id == worry.id:
        raise WorryInputError({"linked": "Choose a worry or concern of this school to link."})
    if other.id in linked_ids(worry):
        raise WorryInputError({"linked": "These two records are already linked."})
    return _add(worry, user, f"linked with worry {other.id}", kind="link",
                linked_worry_id=other.id)


# --- from a validated form to the service ---------------------------------------------------

def _text(form: EntryForm) -> str | None:
    return form.text.data or None


def _urgency(w: Worry, u: User, f: EntryForm) -> WorryEntry:
    assert isinstance(f, UrgencyForm)
    return set_urgency(w, u, f.urgency.data, f.text.data)


def _action(w: Worry, u: User, f: EntryForm) -> WorryEntry:
    assert isinstance(f, ActionForm)
    owner = f.owner.data or (u.id if f.due_on.data else None)
    return record_action(w, u, f.action.data, _text(f), owner, f.due_on.data, f.happened_utc)


def _status(w: Worry, u: User, f: EntryForm) -> WorryEntry:
    assert isinstance(f, StatusForm)
    return set_status(w, u, f.status.data, bool(f.no_further_action.data), _text(f))


def _correction(w: Worry, u: User, f: EntryForm) -> WorryEntry:
    assert isinstance(f, CorrectionForm)
    return correct(w, u, f.corrects.data, f.text.data)


def _done(w: Worry, u: User, f: EntryForm) -> WorryEntry:
    assert isinstance(f, DoneForm)
    return finish_action(w, u, f.done.data, _text(f))


def _share(w: Worry, u: User, f: EntryForm) -> WorryEntry:
    assert isinstance(f, ShareForm)
    return share_outcome(w, u, f.text.data)


def _reply(w: Worry, u: User, f: EntryForm) -> WorryEntry:
    assert isinstance(f, ReplyForm)
    return reply_to_child(w, u, f.reply.data)


def _link(w: Worry, u: User, f: EntryForm) -> WorryEntry:
    assert isinstance(f, LinkForm)
    return link(w, u, f.linked.data)


HANDLERS: dict[str, Callable[[Worry, User, EntryForm], WorryEntry]] = {
    "urgency": _urgency, "action": _action, "status": _status, "correction": _correction,
    "done": _done, "share": _share, "reply": _reply, "link": _link,
}
