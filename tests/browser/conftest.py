"""Browser tests: Playwright drives Debian's Chromium against the live test server, and axe checks
every page visited for WCAG 2.2 AA violations."""

from __future__ import annotations

import os
import weakref
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import ConsoleMessage, Page

CHROMIUM = Path("/usr/bin/chromium")

# Playwright's synchronous API runs an event loop in the test thread; Django's ORM refuses that
# unless told it is safe, which it is here because each test has one thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(pytest.mark.skip(reason="Chromium is not installed (apt-get install chromium)"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


# The narrowest window a page must fit without scrolling sideways (WCAG 2.2 reflow: 320 CSS pixels, which is
# also 1280 pixels at 400% zoom).
NARROW = 320

# The elements wider than the window, named so that a failure says where the sideways scrolling comes from.
_OVERFLOWING = """() => {
    const width = window.innerWidth;
    return [...document.querySelectorAll("body *")]
        .filter((el) => el.getBoundingClientRect().right > width + 1)
        .slice(0, 12)
        .map((el) => el.tagName.toLowerCase() + (el.className ? "." + String(el.className).split(" ").join(".") : ""));
}"""
# Lets the header script's resize handling (a resize observer, then an animation frame) finish. Without
# JavaScript there is nothing to wait for (and no animation frames come).
_SETTLE = """() => document.body.classList.contains("nhsuk-frontend-supported")
    ? new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(null))))
    : null"""

_console_errors: weakref.WeakKeyDictionary[Page, list[str]] = weakref.WeakKeyDictionary()


def watch(page: Page) -> Page:
    """Collects the page's console errors and uncaught exceptions (such as the design system's ElementError, which
    it logs when a component's markup is wrong), for ``assert_fits`` to report. Watching twice is harmless."""
    if page in _console_errors:
        return page
    errors: list[str] = []
    _console_errors[page] = errors

    def on_console(message: ConsoleMessage) -> None:
        # A page answered with 403 or 404 is logged as a failed load; that is the page's status, not a script error.
        if message.text.startswith("Failed to load resource"):
            return
        if message.type == "error" or "Error" in message.text:
            errors.append(f"console {message.type}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    return page


def console_errors(page: Page) -> list[str]:
    return _console_errors.get(page, [])


def fits(page: Page) -> str:
    """Empty when the page fits its window; otherwise which elements are wider than it."""
    page.evaluate(_SETTLE)
    if page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
        return ""
    return f"{page.url} scrolls sideways at {page.viewport_size}: wider than the window: {page.evaluate(_OVERFLOWING)}"


def assert_fits(page: Page) -> None:
    """The page does not scroll sideways at its window's width, and has logged no error since it was watched."""
    problem = fits(page)
    errors = console_errors(page)
    assert not problem and not errors, "\n".join([problem, *errors])


def assert_fits_narrow(page: Page) -> None:
    """The page, as it stands, fits a 320-pixel window; the window is put back as it was afterwards."""
    size = page.viewport_size
    if size is None or size["width"] <= NARROW:
        assert_fits(page)
        return
    page.set_viewport_size({"width": NARROW, "height": size["height"]})
    try:
        assert_fits(page)
    finally:
        page.set_viewport_size(size)
        page.evaluate(_SETTLE)


class Accessibility:
    """Runs axe on a page and collects every violation, so one test can check a whole journey. Each page checked
    is also checked to fit a 320-pixel window (no sideways scrolling) and to have logged no script error."""

    def __init__(self) -> None:
        self.axe = Axe()
        self.pages: list[str] = []

    def check(self, page: Page) -> None:
        watch(page)
        results = self.axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
        self.pages.append(page.url)
        assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"
        assert_fits_narrow(page)


@pytest.fixture
def axe() -> Accessibility:
    return Accessibility()


@pytest.fixture
def page(page: Page) -> Page:
    """pytest-playwright's page, with its console watched (see ``watch``)."""
    return watch(page)
