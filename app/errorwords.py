"""What the 403 and 404 pages say, in plain words for whoever sees them: a pupil, a parent,
a member of staff, or someone not signed in (issue 15: the pages speak to the role that sees
them). Used by app/errors.py; kept apart so the words can be read and tested on their own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorWords:
    title: str
    message: str
    home: str  # the words on the button back to the person's home page


HOME = {"pupil": "Back to my lessons", "parent": "Go to my family page",
        "staff": "Go to my staff home", "visitor": "Go to the sign-in page"}

WORDS = {
    (403, "pupil"): ("This page is not for you",
                     "This page is for the grown-ups at school. Your lessons are waiting for "
                     "you."),
    (403, "parent"): ("This page is for school staff",
                      "Your family account shows your child's lessons and tips for home. If you "
                      "think you need this page, ask the school office."),
    (403, "staff"): ("Your account cannot open this page",
                     "This page is for another role at school, such as the safeguarding lead "
                     "or a school admin. If you need it for your work, ask your school admin "
                     "to add that role to your account."),
    (403, "visitor"): ("Please sign in first", "Sign in to see this page."),
    (404, "pupil"): ("We can't find that page",
                     "It may not be open for you yet. Ask your teacher if you think it should "
                     "be."),
    (404, "parent"): ("We can't find that page",
                      "It may have moved, or it may be about a child who is not linked to your "
                      "account. The school office can check your family link."),
    (404, "staff"): ("We can't find that page",
                     "It may have moved, or it may be for a class or a pupil that your account "
                     "does not look after. Check the address, or start again from your staff "
                     "home."),
    (404, "visitor"): ("We can't find that page",
                       "The page may have moved. Check the address, or sign in and start from "
                       "your home page."),
}


def audience(user: Any) -> str:
    """"pupil", "parent", "staff", or "visitor" when nobody is signed in."""
    if user is None or not getattr(user, "is_authenticated", False):
        return "visitor"
    kind = getattr(user, "kind", "")
    return kind if kind in ("pupil", "parent", "staff") else "visitor"


def words_for(code: int, user: Any) -> ErrorWords:
    who = audience(user)
    title, message = WORDS[(code, who)]
    return ErrorWords(title, message, HOME[who])
