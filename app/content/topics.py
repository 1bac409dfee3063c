"""The topic map (lessons/topics.yaml): each topic the school policies name -> its lessons.

The map is planning data for staff. A slug that names no lesson is not a load error (the
lesson may still be being written); the course page shows it as a gap and the quality tests
fail on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .yamlfile import SLUG_RE, ContentError, FileChecker, Problem, read_yaml

TOPICS_FILE = "lessons/topics.yaml"


@dataclass(frozen=True)
class Topic:
    id: str
    name: str
    lessons: tuple[str, ...]  # lesson slugs, in the order written
    upper_ks2_only: bool = False  # taught only in Years 5-6 (docs/curriculum.md)


def load_topics(root: Path | str) -> tuple[Topic, ...]:
    """Read ``lessons/topics.yaml`` under ``root``; no file means no topics.

    Raises ContentError (``file:line: where: what``) when the file is malformed.
    """
    path = Path(root) / TOPICS_FILE
    if not path.is_file():
        return ()
    problems: list[Problem] = []
    data = read_yaml(path, TOPICS_FILE, problems)
    if data is None:
        raise ContentError(problems)
    fc = FileChecker(TOPICS_FILE, problems)
    fc.fields(data, "", {"topics"}, set())
    raw_topics = fc.seq(data, "topics", "")
    topics: list[Topic] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_topics):
        t = fc.mapping(raw, f"topics[{i + 1}]", raw_topics, i)
        tid = fc.slug(t, "id", f"topics[{i + 1}]")
        where = f"topic {tid or i + 1}"
        fc.fields(t, where, {"id", "name", "lessons"}, {"upper_ks2_only"})
        if tid in seen:
            fc.add(t, "id", where, f"duplicate topic id '{tid}'")
        seen.add(tid)
        raw_lessons = fc.seq(t, "lessons", where)
        slugs = []
        for j, slug in enumerate(raw_lessons):
            if not isinstance(slug, str) or not SLUG_RE.match(slug):
                fc.add(raw_lessons, j, where, f"lesson {slug!r} should be a lesson slug")
            else:
                slugs.append(slug)
        topics.append(Topic(tid, fc.text(t, "name", where), tuple(slugs),
                            fc.boolean(t, "upper_ks2_only", where)))
    if not fc.ok:
        raise ContentError(problems)
    return tuple(topics)


__all__ = ["TOPICS_FILE", "Topic", "load_topics"]
