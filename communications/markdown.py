"""Markdown for public notices, rendered to HTML that is safe to show to anyone.

Two independent layers, so that a mistake in one is caught by the other:

1. markdown-it-py parses CommonMark (plus tables) with raw HTML turned off: ``<script>`` typed into a notice is
   shown as text, and links with schemes other than http, https and mailto are not made into links.
2. nh3 (the ammonia sanitiser) then keeps only an allow-list of tags and attributes, drops any URL scheme other
   than http, https and mailto, and adds ``rel="noopener noreferrer"`` to every link.

Headings move down a level: a notice's page already has its own ``h1``, so ``#`` in the text becomes ``h2`` and
nothing goes deeper than ``h4``.
"""

from __future__ import annotations

from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

ALLOWED_TAGS = frozenset(
    {
        "p",
        "h2",
        "h3",
        "h4",
        "ul",
        "ol",
        "li",
        "a",
        "strong",
        "em",
        "blockquote",
        "code",
        "pre",
        "hr",
        "br",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer"

# h1 is the page's own title; everything else keeps its place in the outline, up to h4.
_HEADING_LEVELS = {"h1": "h2", "h2": "h2", "h3": "h3", "h4": "h4", "h5": "h4", "h6": "h4"}

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def _heading(renderer: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    tag = _HEADING_LEVELS.get(token.tag, "h4")
    return f"<{tag}>" if token.nesting == 1 else f"</{tag}>\n"


def _image(renderer: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    # Notices carry no images (nothing to host them, and no alt text to check): keep the description as text.
    return escapeHtml(tokens[idx].content)


_parser.add_render_rule("heading_open", _heading)
_parser.add_render_rule("heading_close", _heading)
_parser.add_render_rule("image", _image)

_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags={"script", "style"},
    attributes={"a": {"href"}},
    url_schemes=set(ALLOWED_SCHEMES),
    link_rel=LINK_REL,
    strip_comments=True,
    set_tag_attribute_values={"table": {"class": "nhsuk-table"}},
)


def sanitise_html(html: str) -> str:
    """Keeps only the allowed tags, attributes and link schemes of ``html``."""
    return _cleaner.clean(html)


def render_markdown(text: str) -> str:
    """``text`` (Markdown) as sanitised HTML; empty text gives an empty string."""
    if not text.strip():
        return ""
    return sanitise_html(_parser.render(text)).strip()
