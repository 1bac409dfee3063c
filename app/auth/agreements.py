"""Acceptable use agreements, one per kind of account (pupils: one per band).

Raise a version number when the words change: everyone is then asked to accept again.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    text: str
    picture: str | None = None  # static/img/agreement/<picture>


@dataclass(frozen=True)
class Agreement:
    key: str
    version: int
    title: str
    intro: str
    lines: tuple[Line, ...]
    accept_label: str


AGREEMENTS: dict[str, Agreement] = {
    a.key: a
    for a in (
        Agreement(
            key="pupil-ks1",
            version=1,
            title="My promise for being online",
            intro="Let's read it together. Tap the button at the bottom when you are ready.",
            lines=(
                Line("I ask a grown-up before I go online.", "ask-first.svg"),
                Line("I am kind to people online.", "be-kind.svg"),
                Line("I keep my name and where I live private.", "keep-private.svg"),
                Line("I only talk and play with people I know.", "only-people-i-know.svg"),
                Line("If I see something that worries me, I close it.", "stop-and-close.svg"),
                Line("I tell a grown-up. They will help me.", "tell-a-grown-up.svg"),
            ),
            accept_label="I will do my best",
        ),
        Agreement(
            key="pupil-ks2",
            version=1,
            title="Our agreement for using the internet",
            intro="These are the things we agree on to keep each other safe and happy online.",
            lines=(
                Line("I will use school devices and accounts for the work my teacher sets."),
                Line("I will keep my password to myself and sign out when I finish."),
                Line("I will not share my full name, address, school or photos with people "
                     "I only know online."),
                Line("I will be kind and respectful in everything I write or share."),
                Line("I will ask before I share a picture of anyone else."),
                Line("I will check if something is true before I believe it or pass it on."),
                Line("If anything online worries me or makes me feel uncomfortable, I will "
                     "tell a trusted adult or press Report a worry. It is never too small "
                     "to tell."),
                Line("I know the school can see how I use this site, to help keep me safe."),
            ),
            accept_label="I agree",
        ),
        Agreement(
            key="staff",
            version=1,
            title="Staff acceptable use agreement",
            intro="This platform holds information about children. By using it you agree to "
                  "the following.",
            lines=(
                Line("I will keep my password private and sign out of shared computers."),
                Line("I will only look at information about pupils I have a reason to see."),
                Line("I will pass every safeguarding concern to the safeguarding lead at "
                     "once, following the school's safeguarding policy."),
                Line("I will never save, copy or forward images involved in an incident; I "
                     "will describe them in words only."),
                Line("I will not take pupil information off the platform except as the "
                     "school's data protection policy allows."),
            ),
            accept_label="I agree",
        ),
        Agreement(
            key="parent",
            version=2,
            title="Parent and carer agreement",
            intro="Thank you for supporting your child's learning about staying safe online. "
                  "Please read these six points before you start: we keep the date and time "
                  "you agree, and ask again only if the words change.",
            lines=(
                Line("I will keep my sign-in details to myself and sign out on a shared "
                     "phone or computer."),
                Line("I will use what I see here only to help my own child, and I will not "
                     "share screenshots of it."),
                Line("I understand that I see the lessons my child has finished and the work "
                     "their teacher has set, but not their answers, not scores to compare with "
                     "other children, and never whether my child has told the school a worry."),
                Line("I will use what my child learns here to talk with them about being safe "
                     "and kind online."),
                Line("If I am worried about my child's safety, I will contact the school's "
                     "designated safeguarding lead. If a child is in danger now, I will call "
                     "999."),
                Line("If my child has a home card for picture sign-in, I will keep it at home "
                     "and tell the school if it is lost."),
            ),
            accept_label="I agree",
        ),
    )
}


def agreement_for(key: str) -> Agreement:
    return AGREEMENTS[key]
