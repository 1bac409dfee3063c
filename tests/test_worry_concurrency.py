"""50 pupils press send at the same moment, over real HTTP: none lost, none stored twice."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.parse
import urllib.request

from sqlalchemy import func, select

from app.auth.service import hash_password
from app.db import db
from app.demo import add_pupils
from app.models import SchoolClass, Worry

PUPILS = 50
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
WORRY_TOKEN = re.compile(r'name="token" value="([0-9a-f]{32})"')


class Browser:
    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as r:
            return r.read().decode()

    def post(self, path: str, data: dict) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        with self.opener.open(self.base + path, data=body, timeout=60) as r:
            return r.status, r.geturl()


def test_fifty_worries_at_once_are_all_stored_exactly_once(live_app):
    with live_app.app_context():
        klass = db.session.scalar(select(SchoolClass).where(SchoolClass.year_group == 5))
        add_pupils(klass, PUPILS, "load", hash_password("load-test-pass"), accepted=True)
        db.session.commit()

    base = live_app.config["LIVE_URL"]
    ready = threading.Barrier(PUPILS, timeout=120)
    results: list[str] = []
    errors: list[BaseException] = []

    def pupil(i: int) -> None:
        try:
            b = Browser(base)
            page = b.get("/login")
            b.post("/login", {"csrf_token": TOKEN.search(page).group(1), "username": f"load{i}",
                              "password": "load-test-pass"})
            form = b.get("/worry/")
            data = {"csrf_token": TOKEN.search(form).group(1),
                    "token": WORRY_TOKEN.search(form).group(1), "step": "3",
                    "kind": "unkind", "about": "me", "words": f"worry number {i}",
                    "talk": "yes", "from": "/learn/"}
            ready.wait()  # everyone presses send together
            status, final_url = b.post("/worry/", data)
            assert status == 200 and "/worry/sent/" in final_url, final_url
            results.append(final_url)
        except BaseException as exc:  # collected and reported below
            errors.append(exc)

    threads = [threading.Thread(target=pupil, args=(i,)) for i in range(PUPILS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert errors == [], errors[:3]
    assert len(results) == PUPILS
    with live_app.app_context():
        assert db.session.scalar(select(func.count(Worry.id))) == PUPILS
        words = set(db.session.scalars(select(Worry.words)))
        assert words == {f"worry number {i}" for i in range(PUPILS)}
