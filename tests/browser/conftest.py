"""Headless Chromium (Debian's package) driven by Playwright against a live server; skipped without it."""
from __future__ import annotations

import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
IGNORED = ("/favicon.ico",)  # the browser asks for it on its own; the admin sets no icon
# ReDoc's footer logo is hard-coded to its CDN; ReDoc hides the image when it fails (onError), so the page
# is whole. Nothing else may leave the server.
OFFLINE_OK = ("https://cdn.redoc.ly/redoc/logo-mini.svg",)

NO_CHROMIUM = "" if os.path.exists(CHROMIUM) else (
    f"no Chromium at {CHROMIUM}: scripts/test installs Debian's `chromium` with apt-get (as root); "
    "set CHROMIUM_PATH to use another")


class BrokenPage(AssertionError):
    """A page showed a JavaScript error, an HTTP error or lacked what it must show."""


def browse(base_url: str, username: str, password: str, visit) -> None:
    """Log into the admin in a fresh headless Chromium and call `visit(page, problems)`, then fail on problems.

    Playwright's sync API runs an event loop in its thread, where Django refuses ORM calls; so the browser
    runs in a thread of its own and the test's thread keeps its database access.
    """
    failure: list[BaseException] = []

    def run():
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
                try:
                    page = browser.new_page(viewport={"width": 1400, "height": 900})
                    page.set_default_timeout(15_000)
                    problems = watch(page, base_url)
                    page.goto(f"{base_url}/admin/login/")
                    page.fill("#id_username", username)
                    page.fill("#id_password", password)
                    page.click("input[type=submit]")
                    page.wait_for_url(f"{base_url}/admin/")
                    visit(page, problems)
                    if problems:
                        raise BrokenPage("\n".join(problems))
                finally:
                    browser.close()
        except BaseException as error:  # handed to the test's thread
            failure.append(error)

    thread = threading.Thread(target=run, name="browser")
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive(), "the browser session took over 120 s"
    if failure:
        raise failure[0]


def watch(page, base_url: str) -> list[str]:
    """Collect console errors, uncaught exceptions and HTTP errors of this server's responses."""
    problems: list[str] = []
    host = urlsplit(base_url).netloc

    def on_console(message):
        where = (message.location or {}).get("url", "")
        if message.type == "error" and not any(path in where for path in IGNORED) and where not in OFFLINE_OK:
            problems.append(f"console error: {message.text} at {message.location}")

    def on_response(response):
        url = urlsplit(response.url)
        if response.status >= 400 and url.netloc == host and url.path not in IGNORED:
            problems.append(f"HTTP {response.status} for {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.on("requestfailed", lambda request: request.url in OFFLINE_OK
            or problems.append(f"request failed: {request.url} {request.failure}"))
    page.on("response", on_response)
    return problems


def screenshot(page, name: str) -> Path:
    """A full-page PNG of the page under var/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def staff_login(django_user_model, live_server):
    """A staff superuser's credentials on the live server's (transactional) database."""
    django_user_model.objects.create_user("browser-staff", password="browser-pass", is_staff=True, is_superuser=True)
    return "browser-staff", "browser-pass"
