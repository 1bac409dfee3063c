"""Forms of the admin area (Flask-WTF: CSRF on every post, messages that name the field)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from ..models import ROLE_NAMES

YEAR_CHOICES = [SelectChoice(y, f"Year {y}") for y in range(1, 7)]


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _name(label: str, required: bool = True) -> StringField:
    validators = [DataRequired(message=f"Type the {label.lower()}.")] if required else \
        [Optional()]
    return StringField(label, validators=[*validators, Length(max=40, message="Use 40 "
                                                              "characters or fewer.")])


class StaffForm(FlaskForm):
    display_name = StringField("Name as pupils and colleagues see it", validators=[
        DataRequired(message="Type the name, for example Mrs Khan."),
        Length(max=80, message="Use 80 characters or fewer.")])
    username = StringField("Username", validators=[
        DataRequired(message="Type a username, for example rkhan."), Length(max=60)],
        render_kw={"autocapitalize": "none", "spellcheck": "false"})
    email = StringField("School email (for safeguarding alerts; optional)", validators=[
        Optional(), Email(message="That is not an email address.", check_deliverability=False),
        Length(max=254)])
    roles = MultiCheckboxField("Roles", choices=[SelectChoice(k, v) for k, v in ROLE_NAMES.items()],
                               validate_choice=True)


class StaffEditForm(StaffForm):
    username = None  # a username does not change: it is how the person signs in


class ClassForm(FlaskForm):
    name = StringField("Class name", validators=[
        DataRequired(message="Give the class a name, for example Year 3 Owls."),
        Length(max=60, message="Use 60 characters or fewer.")])
    year_group = SelectField("Year group", coerce=int, choices=YEAR_CHOICES,
                             validate_choice=True)
    teachers = MultiCheckboxField("Teachers", coerce=int, validate_choice=True)
    pupils_choose_password = BooleanField(
        "KS2 pupils choose their own password the first time they sign in", default=True)


class PupilForm(FlaskForm):
    first_name = _name("First name")
    surname = _name("Surname")
    year_group = SelectField("Year group", coerce=int, choices=YEAR_CHOICES,
                             validate_choice=True)
    school_class = SelectField("Class", coerce=int, validate_choice=True)


class PupilEditForm(PupilForm):
    surname = _name("Surname (only to correct the initial; it is not stored)",
                    required=False)


class ImportForm(FlaskForm):
    file = FileField("CSV file exported from your school's system")
    school_class = SelectField("Put the pupils in", coerce=int, validate_choice=True)


class ConfirmImportForm(FlaskForm):
    digest = HiddenField()


class LeaversForm(FlaskForm):
    pupils = MultiCheckboxField("Pupils who have left", coerce=int, validate_choice=True)


class JoinForm(FlaskForm):
    code = StringField("Family link code from the letter", validators=[
        DataRequired(message="Type the code from the letter."), Length(max=30)],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "characters",
                   "spellcheck": "false"})
    display_name = StringField("Your name, as the school will see it", validators=[
        DataRequired(message="Type your name, for example Jo Patel."), Length(max=80)])
    username = StringField("Choose a username", validators=[
        DataRequired(message="Choose a username."), Length(max=60)],
        render_kw={"autocomplete": "username", "autocapitalize": "none",
                   "spellcheck": "false"})
    password = PasswordField("Choose a password", validators=[
        DataRequired(message="Choose a password."), Length(max=200)],
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("Type the password again", validators=[
        DataRequired(message="Type the same password again."),
        EqualTo("password", message="The two passwords are not the same.")],
        render_kw={"autocomplete": "new-password"})


class AddChildForm(FlaskForm):
    code = JoinForm.code
