"""Markdown in notices becomes HTML that is safe to show the public: no script, no raw HTML, no dangerous links."""

from __future__ import annotations

import pytest

from communications.markdown import render_markdown, sanitise_html


def test_it_renders_plain_markdown() -> None:
    assert render_markdown("We are **sorry**.") == "<p>We are <strong>sorry</strong>.</p>"


def test_it_shows_a_script_tag_as_text() -> None:
    html = render_markdown("Hello <script>alert('x')</script>")
    assert "<script" not in html and "&lt;script&gt;" in html


def test_it_shows_raw_html_as_text() -> None:
    html = render_markdown('<div class="x">Boxed</div>')
    assert "<div" not in html and "&lt;div" in html


def test_it_neutralises_an_event_handler() -> None:
    html = render_markdown('<img src="x" onerror="alert(1)">')
    assert "<img" not in html


@pytest.mark.parametrize(
    "link",
    ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "vbscript:msgbox(1)", "data:text/html;base64,PHNjcmlwdD4="],
)
def test_it_makes_no_link_of_a_dangerous_scheme(link: str) -> None:
    assert "href" not in render_markdown(f"[click]({link})")


def test_it_keeps_an_https_link_with_a_safe_rel() -> None:
    html = render_markdown("[NHS](https://www.nhs.uk/)")
    assert html == '<p><a href="https://www.nhs.uk/" rel="noopener noreferrer">NHS</a></p>'


def test_it_keeps_a_mailto_link() -> None:
    assert 'href="mailto:help@example.org"' in render_markdown("[Write](mailto:help@example.org)")


def test_it_moves_headings_below_the_page_title() -> None:
    assert render_markdown("# What happened\n\n#### Detail") == "<h2>What happened</h2>\n<h4>Detail</h4>"


def test_it_renders_a_table_with_the_design_system_class() -> None:
    assert '<table class="nhsuk-table">' in render_markdown("| Day | Hours |\n| --- | --- |\n| Monday | 9 to 5 |")


def test_it_keeps_the_words_of_an_image_but_not_the_image() -> None:
    assert render_markdown("![A chart of deaths](https://example.org/chart.png)") == "<p>A chart of deaths</p>"


def test_the_sanitiser_removes_what_the_parser_might_let_through() -> None:
    html = sanitise_html('<p onclick="x()">Hi<iframe src="https://evil.example"></iframe><script>x()</script></p>')
    assert html == "<p>Hi</p>"


def test_the_sanitiser_drops_a_javascript_href() -> None:
    assert sanitise_html('<a href="javascript:alert(1)">x</a>') == '<a rel="noopener noreferrer">x</a>'


def test_empty_text_renders_as_nothing() -> None:
    assert render_markdown("  \n") == ""
