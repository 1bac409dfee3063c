"""Family guides: short Markdown files in guides/, rendered safely once at start-up.

Each file starts with a few lines of YAML between two "---" lines (title, summary, order)
and then the guide in Markdown, rendered by the one content renderer (app/content/render.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..content.render import markdown_to_html

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class GuideError(ValueError):
    """A guide file that cannot be shown, with what is wrong and where."""


@dataclass(frozen=True)
class Guide:
    slug: str
    title: str
    summary: str
    order: int
    body_html: str  # rendered and cleaned once, at load


def _split(text: str, where: str) -> tuple[dict[str, object], str]:
    parts = text.split("\n---\n", 1)
    if not text.startswith("---\n") or len(parts) != 2:
        raise GuideError(f"{where}: start with a '---' line, the title and summary, "
                           "then another '---' line")
    header = yaml.safe_load(parts[0][4:])
    if not isinstance(header, dict):
        raise GuideError(f"{where}: the lines between '---' need 'title:' and 'summary:'")
    return header, parts[1]


def load_guide(path: Path) -> Guide:
    where = f"guides/{path.name}"
    header, body = _split(path.read_text(encoding="utf-8"), where)
    title, summary, order = header.get("title"), header.get("summary"), header.get("order", 99)
    if not isinstance(title, str) or not title.strip():
        raise GuideError(f"{where}: give the guide a title")
    if not isinstance(summary, str) or not summary.strip():
        raise GuideError(f"{where}: give the guide a one-line summary")
    if not isinstance(order, int):
        raise GuideError(f"{where}: order must be a whole number")
    if not SLUG.match(path.stem):
        raise GuideError(f"{where}: name the file in lower case with dashes, like "
                           "age-ratings.md")
    html = markdown_to_html(body)
    if not html:
        raise GuideError(f"{where}: the guide has no text")
    return Guide(path.stem, title.strip(), summary.strip(), order, html)


def load_guides(folder: Path) -> tuple[Guide, ...]:
    """Every guide in the folder, in their order (then by title)."""
    guides = [load_guide(p) for p in sorted(folder.glob("*.md"))]
    return tuple(sorted(guides, key=lambda g: (g.order, g.title)))
