"""Forms for the family pages: the agreement builder."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from .agreement import SECTIONS


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class FamilyAgreementForm(FlaskForm):
    """One set of ticks and one box of the family's own rules per section (added below)."""

    family_name = StringField(
        "Whose agreement is this? (optional)",
        validators=[Optional(), Length(max=60, message="Use 60 characters or fewer.")],
        render_kw={"placeholder": "The Smith family", "autocomplete": "off"})

    def section_fields(self, key: str) -> tuple[Any, Any]:
        return getattr(self, f"pick_{key.replace('-', '_')}"), \
            getattr(self, f"own_{key.replace('-', '_')}")


for _section in SECTIONS:
    _name = _section.key.replace("-", "_")
    setattr(FamilyAgreementForm, f"pick_{_name}", MultiCheckboxField(
        _section.title, choices=[SelectChoice(str(i), text)
                                  for i, text in enumerate(_section.suggestions)],
        validate_choice=True))
    setattr(FamilyAgreementForm, f"own_{_name}", TextAreaField(
        f"{_section.title}: rules of your own, one a line",
        validators=[Optional(), Length(max=1500, message="That is a lot: keep each section's "
                                                         "own rules under 1,500 characters.")]))
