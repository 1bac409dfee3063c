from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional


class LoginForm(FlaskForm):
    username = StringField(
        "Username",
        validators=[DataRequired(message="Type your username."), Length(max=60)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(message="Type your password."), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


class EmptyForm(FlaskForm):
    """For POST-only buttons: carries the CSRF token."""


class DeviceForm(FlaskForm):
    school_class = SelectField("Class for picture sign-in on this device", coerce=int,
                               validate_choice=True)


class NewPasswordForm(FlaskForm):
    """Choose a password: long ones and pasting are welcome; no rules about symbols."""

    current = PasswordField(
        "Your current password",
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )

    password = PasswordField(
        "New password",
        validators=[DataRequired(message="Type the password you want to use."),
                    Length(max=200, message="Use 200 characters or fewer.")],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Type it again",
        validators=[DataRequired(message="Type the same password again."),
                    EqualTo("password", message="The two passwords are not the same.")],
        render_kw={"autocomplete": "new-password"},
    )


class TwoStepForm(FlaskForm):
    code = StringField(
        "Code from your app",
        validators=[DataRequired(message="Type the six numbers from your app."),
                    Length(max=20, message="A code is six numbers (or a recovery code).")],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric",
                   "autocapitalize": "none", "spellcheck": "false"},
    )


class ReauthForm(FlaskForm):
    """Who are you, again? Before a child's safeguarding file leaves the system."""

    password = PasswordField(
        "Your password",
        validators=[DataRequired(message="Type your password."), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    code = StringField(
        "Code from your app",
        validators=[Optional(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class HomeCodeForm(FlaskForm):
    """The code on a KS1 pupil's home card, typed once on a family's device."""

    code = StringField(
        "The code on the home card",
        validators=[DataRequired(message="Type the code from the home card, like ABCD-EFGH."),
                    Length(max=20, message="The code on a home card is 8 letters and "
                                           "numbers, like ABCD-EFGH.")],
        render_kw={"autocomplete": "off", "autocapitalize": "characters",
                   "spellcheck": "false"},
    )
