"""A letter home for one lesson: what the class learned and one thing to try together.

Everything in the letter comes from the lesson file (summary, "I can" statements, family
tip, discussion question) and the school's own records (name, safeguarding lead, class);
the sentences around them are written once, in ``templates/teach/letter.html``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..content.model import Lesson
from ..models import SchoolClass, User
from ..worries.service import lead_names


@dataclass(frozen=True)
class FamilyLetter:
    lesson: Lesson
    school_name: str
    class_name: str | None
    sender: str
    leads: str
    written_on: date

    @property
    def childline(self) -> bool:
        """Childline is named to KS2 families, as it is to KS2 pupils."""
        return self.lesson.band == "ks2"

    @property
    def ceop(self) -> bool:
        """CEOP is for contact from an adult: named where the lesson is about contact."""
        return self.lesson.band == "ks2" and "contact" in self.lesson.four_cs


def family_letter(lesson: Lesson, sender: User, school_class: SchoolClass | None,
                  today: date) -> FamilyLetter:
    return FamilyLetter(lesson=lesson, school_name=sender.school.name,
                        class_name=school_class.name if school_class else None,
                        sender=sender.display_name, leads=lead_names(sender.school_id),
                        written_on=today)


def letter_classes(classes: list[SchoolClass], lesson: Lesson) -> list[SchoolClass]:
    """The classes a letter for this lesson could go to: those in the lesson's band."""
    return [c for c in classes if c.band == lesson.band]
