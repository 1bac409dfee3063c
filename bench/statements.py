"""Hand-built, cached statements against the ordinary ORM, for issue 16 point 6.

    .venv/bin/python -m bench.statements

In one process, on the seeded demo database: each round starts a fresh session (as each
request does) and loads the signed-in pupil, then their progress row for one lesson, three
ways. Prints the median microseconds per load. Not part of the test run.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import bindparam, select

from bench.run import demo_app

ROUNDS = 3000


def _median_us(load: Callable[[], object], session_remove: Callable[[], None]) -> float:
    for _ in range(200):  # warm SQLAlchemy's statement cache and the connection pool
        session_remove()
        load()
    times = []
    for _ in range(ROUNDS):
        session_remove()
        start = time.perf_counter()
        load()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1e6, 1)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app, _ = demo_app(Path(tmp))
        from app.db import db
        from app.models import LessonProgress, User

        with app.app_context():
            user = db.session.scalar(select(User).where(User.username == "pupil"))
            assert user is not None and user.pupil is not None
            uid, pid = user.id, user.pupil.id
            slug = db.session.scalar(select(LessonProgress.lesson_slug).where(
                LessonProgress.pupil_id == pid)) or "none"
            cached_user = select(User).where(User.id == bindparam("user_id"))
            cached_row = select(LessonProgress).where(
                LessonProgress.pupil_id == bindparam("pupil_id"),
                LessonProgress.lesson_slug == bindparam("slug"))
            rows = {
                "user: cached bound statement": lambda: db.session.execute(
                    cached_user, {"user_id": uid}).unique().scalar(),
                "user: select() built each time": lambda: db.session.execute(
                    select(User).where(User.id == uid)).unique().scalar(),
                "user: session.get": lambda: db.session.get(User, uid),
                "progress: cached bound statement": lambda: db.session.scalar(
                    cached_row, {"pupil_id": pid, "slug": slug}),
                "progress: select() built each time": lambda: db.session.scalar(
                    select(LessonProgress).where(LessonProgress.pupil_id == pid,
                                                 LessonProgress.lesson_slug == slug)),
            }
            for name, load in rows.items():
                print(f"{name:40} {_median_us(load, db.session.remove):8.1f} us")


if __name__ == "__main__":
    main()
