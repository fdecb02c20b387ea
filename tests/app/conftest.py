"""One chromium per session, one app per module (its `url` fixture), a fresh page per test."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.app.driver import Chat
from tests.homes import temporary_home

CHROMIUM = "/usr/bin/chromium"  # Debian's: no browser download
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def app_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A data home of the app tests' own: the first start must find no index there."""
    with temporary_home(tmp_path_factory, "reportqa-app") as home:
        yield home


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser session per test: its own chat history and gr.State."""
    # en-US: gradio translates its button labels ("Like") into the browser's language.
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    yield context.new_page()
    context.close()


@pytest.fixture
def chat(page: Page, url: str) -> Chat:
    """The chat of the module's app (each test module defines `url`)."""
    return Chat(page, url)
