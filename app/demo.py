"""The demo school: Demo Primary with a Year 2 and a Year 5 class. Safe to run twice."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from .auth.service import hash_password, new_picture_code
from .db import db
from .models import ClassTeacher, ParentLink, Pupil, School, SchoolClass, StaffRole, User

SCHOOL = ("Demo Primary", "demo-primary")
SAM_PICTURES = "cat,sun,tree"

STAFF = (
    # username, password, display name, roles, class taught, email
    ("admin", "demo-admin-pass", "Ms Rowan (office)", ("school_admin",), None, None),
    ("teacher", "demo-teacher-pass", "Mr Adeyemi", ("teacher",), "Year 5 Kestrels", None),
    ("teacher2", "demo-teacher-pass", "Miss Hughes", ("teacher",), "Year 2 Robins", None),
    ("dsl", "demo-dsl-pass", "Mrs Lindqvist", ("safeguarding_lead",), None,
     "dsl@demo-primary.example"),
)
CLASSES = (("Year 2 Robins", 2), ("Year 5 Kestrels", 5))
PUPILS = {
    "Year 2 Robins": ["Sam K", "Aisha B", "Leo M", "Mia T", "Noah P", "Zara H", "Oliver D",
                      "Ruby C"],
    "Year 5 Kestrels": ["Alex P", "Priya S", "Jacob W", "Amara O", "Ethan L", "Chloe F",
                        "Yusuf A", "Grace N"],
}
KS2_PUPIL = ("Alex", "P", "pupil", "demo-pupil-pass")
PARENT = ("parent", "demo-parent-pass", "Jo P (Alex's parent)")


@dataclass
class DemoSummary:
    created: int = 0

    def add(self, obj: object) -> None:
        db.session.add(obj)
        db.session.flush()
        self.created += 1


# Fixed two-step sign-in secrets so the demo can be tried (README, `flask seed-demo`): add
# them to an authenticator app by hand. Never use these anywhere but the demo.
DEMO_TOTP_SECRETS = {
    "dsl": "DEMODSLSAFEONLINEDEMODSLSAFEONLI",
    "admin": "DEMOADMINSAFEONLINEDEMOADMINSAFE",
    "deputylead": "DEMODEPUTYSAFEONLINEDEMODEPUTYSA",  # the deputy lead (app/worries/demo.py)
}


def seed_demo() -> DemoSummary:
    """Create whatever of the demo school is missing; never duplicate what exists."""
    summary = DemoSummary()
    school = db.session.scalar(select(School).where(School.slug == SCHOOL[1]))
    if school is None:
        school = School(name=SCHOOL[0], slug=SCHOOL[1])
        summary.add(school)

    classes = _seed_classes(summary, school)
    _seed_staff(summary, school, classes)

    for class_name, names in PUPILS.items():
        c = classes[class_name]
        for full in names:
            first, initial = full.split()
            _pupil(summary, school, c, first, initial)

    parent = _account(summary, school, "parent", *PARENT)
    alex = db.session.scalar(select(Pupil).join(User).where(User.username == KS2_PUPIL[2]))
    if alex is not None and db.session.scalar(select(ParentLink).where(
            ParentLink.parent_id == parent.id, ParentLink.pupil_id == alex.id)) is None:
        summary.add(ParentLink(school_id=school.id, parent_id=parent.id, pupil_id=alex.id))
    __import__("app.demo_progress", fromlist=["seed_progress"]).seed_progress(summary)
    summary.created += __import__("app.worries.demo", fromlist=["x"]).seed_deputy(school)
    db.session.commit()
    return summary


def _seed_classes(summary: DemoSummary, school: School) -> dict[str, SchoolClass]:
    classes: dict[str, SchoolClass] = {}
    for name, year in CLASSES:
        c = db.session.scalar(select(SchoolClass).where(SchoolClass.school_id == school.id,
                                                        SchoolClass.name == name))
        if c is None:
            c = SchoolClass(school_id=school.id, name=name, year_group=year)
            summary.add(c)
        classes[name] = c
    return classes


def _seed_staff(summary: DemoSummary, school: School, classes: dict[str, SchoolClass]) -> None:
    for username, password, display, roles, taught, email in STAFF:
        user = _account(summary, school, "staff", username, password, display)
        if email and user.email != email:
            user.email = email
        if username in DEMO_TOTP_SECRETS and user.totp_secret is None:
            user.totp_secret = DEMO_TOTP_SECRETS[username]
        for role in roles:
            if role not in user.role_names:
                summary.add(StaffRole(user_id=user.id, role=role))
        if taught and db.session.get(ClassTeacher, (classes[taught].id, user.id)) is None:
            summary.add(ClassTeacher(class_id=classes[taught].id, user_id=user.id))


def _account(summary: DemoSummary, school: School, kind: str, username: str | None,
             password: str | None, display: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username)) if username \
        else None
    if user is None:
        user = User(school_id=school.id, kind=kind, username=username, display_name=display,
                    password_hash=hash_password(password) if password else None)
        summary.add(user)
    return user


def _pupil(summary: DemoSummary, school: School, c: SchoolClass, first: str,
           initial: str) -> Pupil:
    existing = db.session.scalar(select(Pupil).where(
        Pupil.class_id == c.id, Pupil.first_name == first, Pupil.surname_initial == initial))
    if existing is not None:
        return existing
    username = password = None
    if (first, initial) == KS2_PUPIL[:2]:
        username, password = KS2_PUPIL[2], KS2_PUPIL[3]
    user = User(school_id=school.id, kind="pupil", username=username,
                display_name=f"{first} {initial}.",
                password_hash=hash_password(password) if password else None)
    summary.add(user)
    code = None
    if c.year_group <= 2:
        code = SAM_PICTURES if first == "Sam" else new_picture_code()
    pupil = Pupil(school_id=school.id, user_id=user.id, first_name=first,
                  surname_initial=initial, year_group=c.year_group, class_id=c.id,
                  picture_code=code)
    summary.add(pupil)
    return pupil


def add_pupils(school_class: SchoolClass, count: int, prefix: str,
               password_hash: str | None = None, accepted: bool = False) -> list[Pupil]:
    """Add ``count`` pupils named ``<prefix><n>`` to a class (for load tests and benchmarks).

    With a password hash they can sign in as ``<prefix><n>`` (lower case); with ``accepted``
    their band's agreement is already accepted.
    """
    from .auth.agreements import agreement_for
    from .models import AgreementAcceptance

    pupils = []
    for i in range(count):
        name = f"{prefix}{i}"
        user = User(school_id=school_class.school_id, kind="pupil", display_name=name,
                    username=name.lower() if password_hash else None,
                    password_hash=password_hash)
        db.session.add(user)
        db.session.flush()
        pupil = Pupil(school_id=school_class.school_id, user_id=user.id, first_name=name,
                      surname_initial="Z", year_group=school_class.year_group,
                      class_id=school_class.id)
        db.session.add(pupil)
        if accepted:
            agreement = agreement_for(f"pupil-{school_class.band}")
            db.session.add(AgreementAcceptance(school_id=school_class.school_id,
                                               user_id=user.id, agreement=agreement.key,
                                               version=agreement.version))
        pupils.append(pupil)
    db.session.flush()
    return pupils
