"""Pupil display settings are saved with the pupil and follow them to another device."""

from __future__ import annotations

import pytest

from .helpers import redirected, sign_in, submit


def body_class(html: str) -> str:
    return html.split("<body class=\"", 1)[1].split('"', 1)[0]


def test_settings_follow_the_pupil_to_another_device(app):
    tablet = app.test_client()
    sign_in(tablet, "pupil")
    assert "font-dyslexic" not in body_class(tablet.get("/learn/").get_data(as_text=True))
    saved = submit(tablet, "/learn/settings", {"text_size": "larger", "font": "dyslexic",
                                               "overlay": "yellow", "high_contrast": "y",
                                               "reduced_motion": "y"})
    redirected(saved, '/learn/settings')
    page = tablet.get("/learn/settings").get_data(as_text=True)
    assert 'value="dyslexic" checked' in page or 'checked type="radio" value="dyslexic"' in page \
        or ('value="dyslexic"' in page and "checked" in page)
    classroom_pc = app.test_client()
    sign_in(classroom_pc, "pupil")
    classes = body_class(classroom_pc.get("/learn/").get_data(as_text=True)).split()
    for expected in ("text-larger", "font-dyslexic", "overlay", "overlay-yellow",
                     "contrast-high", "motion-reduced"):
        assert expected in classes
    # and back to normal
    submit(classroom_pc, "/learn/settings", {"text_size": "normal", "font": "standard",
                                             "overlay": "none"})
    classes = body_class(tablet.get("/learn/").get_data(as_text=True)).split()
    assert "overlay" not in classes and "contrast-high" not in classes


@pytest.mark.parametrize("data,message", [
    ({"text_size": "gigantic", "font": "standard", "overlay": "none"}, "Not a valid choice"),
    ({"text_size": "normal", "font": "comic", "overlay": "none"}, "Not a valid choice"),
    ({"text_size": "normal", "font": "standard", "overlay": "purple"}, "Not a valid choice"),
])
def test_bad_settings_are_named_and_nothing_changes(app, client, data, message):
    sign_in(client, "pupil")
    response = submit(client, "/learn/settings", data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert "text-normal" not in body_class(client.get("/learn/").get_data(as_text=True))


def test_dyslexia_font_is_self_hosted_with_its_licence(client):
    with client.get("/static/css/app.css") as response:
        css = response.get_data(as_text=True)
    assert 'url("../fonts/OpenDyslexic-Regular.woff")' in css
    for name in ("OpenDyslexic-Regular.woff", "OpenDyslexic-LICENSE.txt"):
        with client.get(f"/static/fonts/{name}") as response:  # closes the served file
            assert response.status_code == 200
