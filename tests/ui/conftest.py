import pytest

from bench.browser import chromium, serve_app


@pytest.fixture(scope="session")
def app_url():
    with serve_app() as url:
        yield url + "/app"


@pytest.fixture(scope="session")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.console_messages_seen = []
    page.requests_seen = []
    page.on("console", lambda m: page.console_messages_seen.append((m.type, m.text)))
    page.on("pageerror", lambda e: page.console_messages_seen.append(("pageerror", str(e))))
    page.on("request", lambda r: page.requests_seen.append(r.url))
    yield page
    context.close()
