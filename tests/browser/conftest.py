"""Playwright harness: Debian's Chromium (never a downloaded browser) against pytest-django's live server."""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests
# make around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/system-deps.sh (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    shutil.rmtree(ARTIFACTS, ignore_errors=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(live_server, settings):
    """Point absolute links (emails, OAuth redirects, the simulator) at the live server."""
    settings.SITE_URL = live_server.url
    settings.ZOOM_OAUTH_URL = f"{live_server.url}/zoomsim"
    settings.ZOOM_API_URL = f"{live_server.url}/zoomsim/v2"
    settings.ZOOM_SIMULATOR_WEBHOOK_URL = f"{live_server.url}/zoom/webhook/"
    settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"
    return live_server.url


@pytest.fixture
def page(browser, site, request):
    context = browser.new_context(base_url=site, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.shots = []

    def shot(name):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{request.node.name}__{len(page.shots):02d}_{name}.png"
        page.screenshot(path=str(path), full_page=True)
        page.shots.append(path)

    page.shot = shot
    yield page
    context.close()


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and "page" in item.funcargs:
        try:
            item.funcargs["page"].shot("FAILED")
        except Exception:  # the browser may be gone; the failure itself is what matters
            pass
