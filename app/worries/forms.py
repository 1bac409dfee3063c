from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from ..models import WORRY_KINDS
from .service import STAFF_TEXT_LIMIT


class ConcernForm(FlaskForm):
    """A member of staff records a concern about a pupil."""

    pupil = SelectField("Pupil", coerce=int, validate_choice=True)
    kind = SelectField("Kind of concern",
                       choices=[SelectChoice(k, v) for k, v in WORRY_KINDS.items()])
    occurred_at = DateTimeLocalField(
        "When it happened or when you were told", format="%Y-%m-%dT%H:%M",
        validators=[Optional()])
    words = TextAreaField(
        "What you saw or were told",
        validators=[DataRequired(message="Describe what you saw or were told."),
                    Length(max=STAFF_TEXT_LIMIT, message=f"Keep this under {STAFF_TEXT_LIMIT} "
                           "characters.")])
    child_words = TextAreaField(
        "The child's own words, if they said anything (exactly as said)",
        validators=[Length(max=STAFF_TEXT_LIMIT, message=f"Keep this under {STAFF_TEXT_LIMIT} "
                           "characters.")])
    token = HiddenField()
