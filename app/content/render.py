"""Markdown to safe HTML: the one place content text becomes markup.

bleach is deprecated upstream; it stays behind this one function so it can be swapped.
"""

import bleach
from markdown_it import MarkdownIt

_md = MarkdownIt("js-default")

ALLOWED_TAGS = frozenset(
    {"p", "em", "strong", "ul", "ol", "li", "br", "h3", "h4", "blockquote", "code", "hr"}
)


def markdown_to_html(text: str) -> str:
    """Render Markdown and keep only a small set of harmless tags (no links, no images)."""
    html = _md.render(text or "")
    return bleach.clean(html, tags=ALLOWED_TAGS, attributes={}, strip=True).strip()
