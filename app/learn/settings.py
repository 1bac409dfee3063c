"""Pupil display settings: saved with the pupil, so they follow the pupil to every device."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField
from wtforms.fields.choices import SelectChoice

from ..db import db, utcnow
from ..models import FONTS, OVERLAYS, TEXT_SIZES, Pupil, PupilSettings


def _choices(options: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice(k, v) for k, v in options.items()]


class SettingsForm(FlaskForm):
    text_size = RadioField("Text size", choices=_choices(TEXT_SIZES), default="normal")
    font = RadioField("Letters", choices=_choices(FONTS), default="standard")
    overlay = RadioField("Colour tint over the page", choices=_choices(OVERLAYS), default="none")
    high_contrast = BooleanField("High contrast (black and white)")
    reduced_motion = BooleanField("Less movement")


def settings_for(pupil: Pupil) -> PupilSettings:
    return pupil.settings or PupilSettings(pupil_id=pupil.id, text_size="normal",
                                           font="standard", overlay="none",
                                           high_contrast=False, reduced_motion=False)


def save(pupil: Pupil, form: SettingsForm) -> PupilSettings:
    row = pupil.settings
    if row is None:
        row = PupilSettings(pupil_id=pupil.id)
        db.session.add(row)
        pupil.settings = row
    row.text_size = form.text_size.data
    row.font = form.font.data
    row.overlay = form.overlay.data
    row.high_contrast = bool(form.high_contrast.data)
    row.reduced_motion = bool(form.reduced_motion.data)
    row.updated_at = utcnow()
    db.session.flush()
    return row
