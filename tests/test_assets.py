"""Every picture, stylesheet, script and font a page asks for exists: no broken pictures.

A KS1 pupil reads the worry steps and the lesson pages through pictures, so a missing file is
a real gap, not a cosmetic one. Every GET page for every role is rendered (as in
test_permissions), plus each step of the worry form, and every /static/ reference is checked
against the files on disk; the stylesheet's own url(...) references too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .helpers import csrf_from, sign_in
from .test_permissions import ROLES, urls

STATIC_REF = re.compile(r"""(?:src|href|data-speaker)="(/static/[^"?#]+)""")


def missing_static(app, html: str) -> list[str]:
    """References to files that do not exist. Lesson pictures belong to the course, so they
    are looked up where the content loader looks (the fixture course has its own)."""
    static = Path(app.static_folder)
    lessons = Path(app.config.get("LESSON_IMAGE_DIR")
                   or Path(app.config["CONTENT_DIR"]) / "static" / "img" / "lessons")
    missing = []
    for ref in STATIC_REF.findall(html):
        name = ref.removeprefix("/static/")
        path = (lessons / name.removeprefix("img/lessons/") if name.startswith("img/lessons/")
                else static / name)
        if not path.is_file():
            missing.append(ref)
    return missing


@pytest.mark.parametrize("role", ROLES)
def test_every_page_refers_only_to_files_that_exist(app, role):
    client = app.test_client()
    if role != "anonymous":
        sign_in(client, role)
    checked = 0
    for endpoint, url in urls(app).items():
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            response.close()
            continue
        html = response.get_data(as_text=True)
        assert not missing_static(app, html), (role, endpoint, missing_static(app, html))
        checked += len(STATIC_REF.findall(html))
    assert checked > 0


def test_every_step_of_the_worry_form_shows_its_pictures(app, client):
    sign_in(client, "pupil")
    page = client.get("/worry/").get_data(as_text=True)
    token = re.search(r'name="token" value="(\w+)"', page).group(1)
    pages = [page]
    for data in ({"step": "1", "kind": "unkind"},
                 {"step": "2", "kind": "unkind", "about": "me", "feeling": "sad"}):
        response = client.post("/worry/", data={"csrf_token": csrf_from(page), "token": token,
                                                **data})
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        pages.append(page)
    pictures = [re.findall(r'src="/static/img/worry/([\w-]+)\.svg"', p) for p in pages]
    assert {"unkind", "upsetting", "stranger"} <= set(pictures[0])
    assert {"about-me", "about-someone-else", "feel-sad"} <= set(pictures[1])
    assert {"talk-yes", "talk-no"} <= set(pictures[2])
    for html in pages:
        assert not missing_static(app, html)


def test_the_stylesheet_refers_only_to_files_that_exist(app):
    static = Path(app.static_folder)
    css = (static / "css" / "app.css").read_text()
    refs = re.findall(r"""url\(["']?([^"')]+)""", css)
    assert refs, "the stylesheet loads the self-hosted font"
    for ref in refs:
        assert not ref.startswith(("http:", "https:", "//")), ref
        assert (static / "css" / ref).resolve().is_file(), ref
