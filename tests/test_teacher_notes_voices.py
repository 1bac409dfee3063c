"""KS1 teacher notes say which devices can read aloud (issue 15, item 3)."""

from __future__ import annotations

from .helpers import real_page, sign_in


def test_ks1_teacher_notes_say_which_devices_have_voices(app, client):
    catalogue = app.extensions["catalogue"]
    sign_in(client, "teacher2")
    for band, shown in (("ks1", True), ("ks2", False)):
        lesson = catalogue.by_band[band][0]
        html = real_page(client.get(f"/staff/lessons/{lesson.slug}"), lesson.title)
        assert ('id="voices"' in html) is shown
        if shown:
            assert "iPads" in html and "Chromium on Linux often has none" in html
