"""Every form of the worry flow: the pupil's three steps, a staff concern, each triage entry.

Forms check the shape of what was sent (a known choice, a length, a date that makes sense)
and hand typed values to the service; rules that need the record's state (the status is
already closed, the entry belongs to this worry) are the service's and come back as
``WorryInputError`` naming the field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    Field,
    Form,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..db import utcnow
from ..models import (
    ABOUT,
    ACTIONS,
    FEELINGS,
    HANDOVER_METHODS,
    REPLIES,
    SHARE_LIMIT,
    STATUSES,
    URGENCIES,
    WORRY_KINDS,
)
from ..schooltime import from_school_clock, today
from .service import NOTE_LIMIT, STAFF_TEXT_LIMIT, WORDS_LIMIT

Check = Callable[[Form, Field], None]


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def choices(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _values(field: SelectField) -> set[Any]:
    return {c.value if isinstance(c, SelectChoice) else c[0] for c in field.choices or []}


def one_of(choices: Iterable[str], message: str, optional: bool = False) -> Check:
    """The value is one of ``choices`` (or empty, when ``optional``); else ``message``."""
    allowed = set(choices)

    def check(form: Form, field: Field) -> None:
        if optional and not field.data:
            return
        if field.data not in allowed:
            raise ValidationError(message)

    return check


def _token(form: Form, field: Field) -> None:
    value = field.data or ""
    if not (len(value) == 32 and all(c in "0123456789abcdef" for c in value)):
        raise ValidationError("This form is out of date. Please start again.")


def _letters(form: Form, field: Field) -> None:
    if len(field.data or "") > WORDS_LIMIT:
        raise ValidationError(f"That is {len(field.data)} letters. Please keep it under "
                              f"{WORDS_LIMIT}, and tell a grown-up the rest.")


def _limit(limit: int, what: str = "notes") -> Length:
    return Length(max=limit, message=f"Please keep {what} under {limit} characters.")


# --- the pupil ------------------------------------------------------------------------------


class PupilWorryForm(FlaskForm):
    """The pupil's three steps as one form: each step posts what the earlier ones chose.

    CSRFProtect has already refused a post without a valid token (400) before the view runs,
    so the form does not check it a second time: this is the one write a burst of pupils
    makes at once.
    """

    class Meta:
        csrf = False

    step = HiddenField(default="1")
    kind = StringField(validators=[one_of(
        WORRY_KINDS, "Please tap the picture that is most like your worry.")])
    about = StringField(validators=[one_of(ABOUT, "Choose who the worry is about.", True)])
    feeling = StringField(validators=[one_of(FEELINGS, "Choose a face, or leave it.", True)])
    words = TextAreaField(filters=[_strip], validators=[_letters])
    talk = StringField(validators=[one_of(("yes", "no"), "Choose yes or no.", True)])
    token = HiddenField(validators=[_token])
    started = HiddenField()
    place = HiddenField(name="from")

    @property
    def wants_to_talk(self) -> bool | None:
        return None if not self.talk.data else self.talk.data == "yes"


# --- any member of staff --------------------------------------------------------------------


class ConcernForm(FlaskForm):
    """A member of staff records a concern about a pupil."""

    pupil = SelectField("Pupil", coerce=int, validate_choice=False)
    kind = SelectField("Kind of concern",
                       choices=[SelectChoice(k, v) for k, v in WORRY_KINDS.items()])
    occurred_at = DateTimeLocalField(
        "When it happened or when you were told", format="%Y-%m-%dT%H:%M",
        validators=[Optional()])
    words = TextAreaField(
        "What you saw or were told", filters=[_strip],
        validators=[DataRequired(message="Describe what you saw or were told."),
                    Length(max=STAFF_TEXT_LIMIT, message=f"Keep this under {STAFF_TEXT_LIMIT} "
                           "characters.")])
    child_words = TextAreaField(
        "The child's own words, if they said anything (exactly as said)", filters=[_strip],
        validators=[Length(max=STAFF_TEXT_LIMIT, message=f"Keep this under {STAFF_TEXT_LIMIT} "
                           "characters.")])
    token = HiddenField()

    def validate_pupil(self, field: Field) -> None:
        if field.data not in _values(self.pupil) - {0}:
            raise ValidationError("Choose the pupil this concern is about.")

    @property
    def occurred_utc(self) -> datetime | None:
        """Typed on the school's clock (BST in summer), stored in UTC."""
        return from_school_clock(self.occurred_at.data) if self.occurred_at.data else None


# --- the lead's triage: one form per kind of entry ------------------------------------------


class EntryForm(FlaskForm):
    """What every triage entry has: which kind it is, and notes."""

    entry = HiddenField()
    text = TextAreaField(filters=[_strip], validators=[_limit(NOTE_LIMIT)])


class UrgencyForm(EntryForm):
    urgency = StringField(validators=[one_of(URGENCIES,
                                             "Choose an urgency: low, medium or high.")])

    def validate_text(self, field: Field) -> None:
        if not field.data:
            raise ValidationError("Give a reason for the urgency.")


class ActionForm(EntryForm):
    """An action taken or to do: optionally an owner (a lead or deputy), a due date and when
    it happened (on the school's clock)."""

    action = StringField(validators=[one_of(ACTIONS, "Choose the action taken from the list.")])
    owner = SelectField(coerce=int, validate_choice=False, default=0)
    due_on = DateField(validators=[Optional()])
    happened_at = DateTimeLocalField(format="%Y-%m-%dT%H:%M", validators=[Optional()])

    def validate_text(self, field: Field) -> None:
        if self.action.data == "other" and not field.data:
            raise ValidationError("Say what the other action was.")

    def validate_owner(self, field: Field) -> None:
        if field.data and field.data not in _values(self.owner):
            raise ValidationError("Choose a lead or deputy lead as the owner: only they "
                                  "may hold a safeguarding action.")

    def validate_due_on(self, field: Field) -> None:
        if isinstance(field.data, date) and field.data < today():
            raise ValidationError("The due date is in the past: choose today or a later day.")

    def validate_happened_at(self, field: Field) -> None:
        if isinstance(field.data, datetime) and from_school_clock(field.data) > utcnow():
            raise ValidationError("That date and time is in the future.")

    @property
    def happened_utc(self) -> datetime | None:
        return from_school_clock(self.happened_at.data) if self.happened_at.data else None


class StatusForm(EntryForm):
    status = StringField(validators=[one_of(STATUSES, "Choose a status.")])
    no_further_action = BooleanField(false_values=("", "no", "false"))

    def validate_text(self, field: Field) -> None:
        if self.no_further_action.data and not field.data:
            raise ValidationError("Give the reason for no further action.")
        if self.status.data == "closed" and not field.data:
            raise ValidationError("A closing note is required to close a worry.")


class CorrectionForm(EntryForm):
    corrects = SelectField(coerce=int, validate_choice=False, default=0)

    def validate_corrects(self, field: Field) -> None:
        if field.data not in _values(self.corrects):
            raise ValidationError("Choose the entry you are correcting.")

    def validate_text(self, field: Field) -> None:
        if not field.data:
            raise ValidationError("Write the correction and the reason for it.")


class DoneForm(EntryForm):
    """An action is finished."""

    done = SelectField(coerce=int, validate_choice=False, default=0)

    def validate_done(self, field: Field) -> None:
        if field.data not in _values(self.done):
            raise ValidationError("Choose an open action.")


class ShareForm(EntryForm):
    """The short outcome line the member of staff who raised a concern sees."""

    text = TextAreaField(filters=[_strip], validators=[
        DataRequired(message="Write the outcome line to share."),
        _limit(SHARE_LIMIT, "the outcome line")])


class ReplyForm(EntryForm):
    reply = StringField(validators=[one_of(REPLIES, "Choose a reply from the list.")])


class LinkForm(EntryForm):
    """Another record of this school about the same incident: one case."""

    linked = SelectField(coerce=int, validate_choice=False, default=0)

    def validate_linked(self, field: Field) -> None:
        if not field.data or field.data not in _values(self.linked):
            raise ValidationError("Choose a worry or concern of this school to link.")


ENTRY_FORMS: dict[str, type[EntryForm]] = {
    "urgency": UrgencyForm, "action": ActionForm, "status": StatusForm,
    "correction": CorrectionForm, "done": DoneForm, "share": ShareForm, "reply": ReplyForm,
    "link": LinkForm,
}


class InboxFilterForm(Form):
    """The inbox's filters, read from the query string (a GET: no CSRF)."""

    status = SelectField(choices=choices([("", "Any status"), *STATUSES.items()]), default="")
    urgency = SelectField(choices=choices([("", "Any urgency"), *URGENCIES.items(),
                                           ("none", "Not set")]), default="")
    kind = SelectField(choices=choices([("", "Any kind"), *WORRY_KINDS.items()]), default="")
    source = SelectField(choices=choices([("", "Pupils and staff"), ("pupil", "Pupil"),
                                          ("staff", "Staff")]), default="")
    class_id = SelectField(coerce=int, default=0)
    pupil_id = SelectField(coerce=int, default=0)
    q = StringField(filters=[_strip], validators=[Length(max=60)])


class AwayForm(FlaskForm):
    """A lead marks themself away: alerts go to the deputies meanwhile."""

    starts_on = DateField("First day away",
                          validators=[DataRequired(message="Give the first day away.")])
    ends_on = DateField("Last day away",
                        validators=[DataRequired(message="Give the last day away.")])

    def validate_ends_on(self, field: Field) -> None:
        if isinstance(field.data, date) and field.data < today():
            raise ValidationError("The last day away is in the past.")
        if isinstance(field.data, date) and isinstance(self.starts_on.data, date) \
                and field.data < self.starts_on.data:
            raise ValidationError("The last day away is before the first.")


class TransferForm(FlaskForm):
    receiving_school = StringField("Receiving school", filters=[_strip], validators=[
        DataRequired(message="Name the school the child is moving to."),
        Length(max=200, message="Keep the school's name under 200 characters.")])
    leaving_on = DateField("Leaving date (if the school has not recorded one)",
                           validators=[Optional()])


class HandoverForm(FlaskForm):
    package = HiddenField()
    method = SelectField("How it was handed over", validators=[
        one_of(HANDOVER_METHODS, "Choose how the file was handed over.")],
        choices=choices([("", "Choose…"), *HANDOVER_METHODS.items()]), validate_choice=False)
    person = StringField("Handed to (name and role)", filters=[_strip], validators=[
        DataRequired(message="Say who the file was handed to."), Length(max=120)])
    at = DateTimeLocalField("When", format="%Y-%m-%dT%H:%M", validators=[Optional()])

    def validate_at(self, field: Field) -> None:
        if isinstance(field.data, datetime) and from_school_clock(field.data) > utcnow():
            raise ValidationError("That date and time is in the future.")


class ReceiptForm(FlaskForm):
    package = HiddenField()
    person = StringField("Confirmed by (the receiving lead's name)", filters=[_strip],
                         validators=[DataRequired(message="Say which lead confirmed receipt."),
                                     Length(max=120)])
    at = DateTimeLocalField("When they confirmed", format="%Y-%m-%dT%H:%M",
                            validators=[Optional()])

    validate_at = HandoverForm.validate_at
