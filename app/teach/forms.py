from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..models import LEVELS, TARGETS, WORK_KINDS


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WorkDatesForm(FlaskForm):
    """When set work starts and is due, and the teacher's note: set or changed later."""

    starts_on = DateField("Start date (optional)", validators=[Optional()])
    due_on = DateField("Due date (optional)", validators=[Optional()])
    note = TextAreaField("A short note for the pupils and their families (optional)",
                         validators=[Length(max=200, message="Keep the note to 200 characters "
                                            "or fewer.")])


class SetWorkForm(WorkDatesForm):
    lessons = CheckboxesField("Lessons to set", validate_choice=False)
    kind = RadioField("What the pupils do", default="lesson",
                      choices=[SelectChoice(k, v) for k, v in WORK_KINDS.items()])
    target = RadioField("Who it is for", default="class",
                        choices=[SelectChoice(k, v) for k, v in TARGETS.items()])
    group = SelectField("Group", coerce=str, validate_choice=False)
    pupils = CheckboxesField("Chosen pupils", validate_choice=False)


class GroupForm(FlaskForm):
    name = StringField("Group name", validators=[Length(max=60, message="Keep the name to 60 "
                                                        "characters or fewer.")])
    pupils = CheckboxesField("Pupils in the group", validate_choice=False)


class OverrideForm(FlaskForm):
    statement = SelectField("“I can” statement", validate_choice=False)
    level = SelectField("Your judgement", choices=[SelectChoice("", "Choose a level…"),
                                                   *(SelectChoice(k, v) for k, v in
                                                     LEVELS.items())], validate_choice=False)
    note = StringField("Why (a short note)", validators=[Length(max=200, message="Keep the "
                                                                "note to 200 characters or "
                                                                "fewer.")])


class ReleaseForm(FlaskForm):
    state = SelectField("For this class", choices=[SelectChoice("default", "As the year rule says"),
                                                   SelectChoice("released", "Release it now"),
                                                   SelectChoice("held", "Hold it back")],
                        validate_choice=False)
