"""The family's own pages: guides (open to anyone, printable), the family agreement builder
(saved for that family account only), the parent agreement's time, and who sees what."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db import db
from app.family.agreement import SECTIONS
from app.family.guides import GuideError, load_guide, load_guides
from app.models import FamilyAgreement, User

from .helpers import sign_in, submit
from .test_family import new_parent

REPO = Path(__file__).parent.parent
GUIDES = ["age-ratings", "parental-controls", "screen-time-and-sleep", "online-gaming",
          "when-something-goes-wrong", "who-to-report-to"]


def words(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def test_the_guides_are_listed_in_order_for_anyone(client):
    page = client.get("/family/guides")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    found = re.findall(r'href="/family/guides/([a-z-]+)"', html)
    assert found == GUIDES


@pytest.mark.parametrize("slug,facts", [
    ("age-ratings", ["PEGI 3", "PEGI 7", "PEGI 12", "PEGI 16", "PEGI 18", "In-game purchases",
                     "includes random items", "Fear", "Discrimination"]),
    ("parental-controls", ["Screen Time", "Family Link", "Xbox Family Settings", "SafeSearch",
                           "broadband"]),
    ("screen-time-and-sleep", ["9 to 11 hours", "outside the bedroom"]),
    ("online-gaming", ["Loot boxes", "friends only", "spending limit", "block and report"]),
    ("when-something-goes-wrong", ["Do not look at, save, copy or send on the picture",
                                   "Report Remove", "CEOP", "bullied", "999"]),
    ("who-to-report-to", ["designated safeguarding lead", "CEOP", "0800 1111",
                          "Report Remove", "Internet Watch Foundation", "Action Fraud",
                          "0300 123 2040"]),
])
def test_each_guide_has_its_facts_and_prints(client, slug, facts):
    page = client.get(f"/family/guides/{slug}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    text = words(page)
    for fact in facts:
        assert fact in text, fact
    assert "data-print" in html and "css/family.css" in html
    assert "<script" not in html.split('<article class="guide">')[1].split("</article>")[0]
    css = (REPO / "static/css/family.css").read_text()
    assert "@media print" in css and ".guide" in css.split("@media print")[1]


def test_an_unknown_guide_is_not_found(client):
    assert client.get("/family/guides/no-such-guide").status_code == 404


@pytest.mark.parametrize("text,problem", [
    ("no header at all", "start with a '---' line"),
    ("---\ntitle: T\n---\nBody", "one-line summary"),
    ("---\nsummary: S\n---\nBody", "give the guide a title"),
    ("---\ntitle: T\nsummary: S\norder: first\n---\nBody", "order must be a whole number"),
    ("---\ntitle: T\nsummary: S\n---\n   \n", "has no text"),
])
def test_a_broken_guide_file_is_refused_with_where_and_why(tmp_path, text, problem):
    path = tmp_path / "broken.md"
    path.write_text(text)
    with pytest.raises(GuideError, match=re.escape(problem)) as caught:
        load_guide(path)
    assert "guides/broken.md" in str(caught.value)


def test_the_shipped_guides_load_and_keep_only_safe_markup():
    guides = load_guides(REPO / "guides")
    assert [g.slug for g in guides] == GUIDES
    for guide in guides:
        assert "<a " not in guide.body_html and "<img" not in guide.body_html
        assert len(guide.body_html) < 6000  # short: a page or two printed


def test_the_parent_agreement_is_recorded_with_its_time(client):
    sign_in(client, "parent")
    page = words(client.get("/family/"))
    assert re.search(r"You agreed to the parent and carer agreement on \d+ \w+ \d{4} \d\d:\d\d",
                     page)
    assert "Make a family agreement" in page


def build(client, data: dict):
    return submit(client, "/family/agreement", data)


def test_a_family_builds_saves_and_prints_its_agreement(app, client):
    sign_in(client, "parent")
    page = client.get("/family/agreement")
    assert page.status_code == 200
    saved = build(client, {
        "family_name": "  The   Parker family ",
        "pick_when_where": ["0", "3"], "pick_grown_ups": ["1"],
        "own_games_apps": "Minecraft on creative mode only\n\n  Ask before a new app  ",
        "own_something_wrong": "We tell Mum or Dad",
    })
    assert saved.status_code == 302 and saved.location == "/family/agreement/print"
    printed = words(client.get("/family/agreement/print"))
    assert "The Parker family: our family agreement for being online" in printed
    for rule in (SECTIONS[0].suggestions[0], SECTIONS[0].suggestions[3],
                 "Minecraft on creative mode only", "Ask before a new app",
                 "We tell Mum or Dad", SECTIONS[4].suggestions[1]):
        assert rule in printed
    assert "Name and signature" in printed
    assert SECTIONS[2].title not in printed  # a section with no rules is left out
    # editing shows what was saved: the ticks ticked, the family's own lines in their box
    form = client.get("/family/agreement").get_data(as_text=True)
    assert 'id="pick_when_where-3" value="3" checked' in form
    assert "Minecraft on creative mode only\nAsk before a new app" in form
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FamilyAgreement)) == 1


def test_another_family_never_sees_it(app, client):
    sign_in(client, "parent")
    build(client, {"own_when_where": "Our private rule"})
    with app.app_context():
        school_id = db.session.scalar(select(User.school_id).where(User.username == "parent"))
        new_parent("otherparent", school_id)
        db.session.commit()
    other = app.test_client()
    sign_in(other, "otherparent", "parent-pass-123")
    assert other.get("/family/agreement/print").location == "/family/agreement"
    assert "Our private rule" not in other.get("/family/agreement").get_data(as_text=True)
    teacher = app.test_client()
    sign_in(teacher, "teacher")
    assert teacher.get("/family/agreement").status_code == 403


@pytest.mark.parametrize("data,problem", [
    ({}, "Tick or write at least one rule before you save."),
    ({"own_when_where": "x" * 151}, "When and where we use devices: rule 1 of your own is "
                                    "longer than 150 characters"),
    ({"own_games_apps": "\n".join(f"rule {i}" for i in range(9))},
     "Games, apps and videos: write up to 8 rules of your own."),
    ({"pick_kind_private": ["99"], "own_when_where": "ok"},
     "Being kind and keeping things private: tick only the rules listed here."),
    ({"family_name": "n" * 61, "own_when_where": "ok"}, "Use 60 characters or fewer."),
])
def test_bad_agreement_input_says_what_and_where_and_saves_nothing(app, client, data,
                                                                    problem):
    sign_in(client, "parent")
    response = build(client, data)
    assert response.status_code == 400
    html = unescape(response.get_data(as_text=True))
    assert problem in html
    for value in data.values():
        if isinstance(value, str) and len(value) < 200:
            assert value in html  # what was typed is kept
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FamilyAgreement)) == 0


@pytest.mark.parametrize("who,sees,never", [
    ("pupil", ["Who can see what you do here", "only the safeguarding team reads it",
               "Your family"], ["short version for parents"]),
    ("parent", ["short version for parents", "You do not see",
                "only people who read worries"], ["Who can see what you do here"]),
    ("teacher", ["Who can see what you do here", "short version for parents"], []),
    (None, ["short version for parents"], ["Who can see what you do here"]),
])
def test_who_can_see_what_in_plain_words(client, who, sees, never):
    if who:
        sign_in(client, who)
    page = client.get("/family/what-we-see")
    assert page.status_code == 200
    text = words(page)
    for phrase in sees:
        assert phrase in text, phrase
    for phrase in never:
        assert phrase not in text, phrase
