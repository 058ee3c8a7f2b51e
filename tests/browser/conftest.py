"""Browser tests: the member portal, the admin console and the docs page in a real headless
Chromium (Debian's `chromium` and `chromium-driver`, installed by `make chromium`), driven by
Selenium against a local stack this suite starts itself (on free ports, its table on DynamoDB
Local, the web libraries from `make web`).

Nothing here is ever skipped: if Chromium, its driver or the stack cannot start, the suite fails
with the reason. A failing test leaves a screenshot, the page's HTML and its console log in
.cache/screenshots/ (the console log is printed with the failure too).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

from infra.dynamodb_local import DynamoDBLocal
from infra.web_assets import installed as web_assets_installed
from tests.e2e.conftest import running_stack
from tests.e2e.helpers import RunningStack

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / ".cache" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="session")
def stack() -> Iterator[RunningStack]:
    if not web_assets_installed():
        pytest.fail("the web libraries are not installed: run `make web` (the browser suite never skips)")
    with DynamoDBLocal() as dynamodb, running_stack(dynamodb.endpoint) as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[webdriver.Chrome]:
    for program in (CHROMIUM, CHROMEDRIVER):
        if shutil.which(program) is None:
            pytest.fail(f"{program} is missing: run `make chromium` (the browser suite never skips)")
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=en-US"):
        options.add_argument(argument)
    options.add_argument("--window-size=1280,900")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console, kept with a failure
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def page(browser: webdriver.Chrome, request: pytest.FixtureRequest) -> Iterator[webdriver.Chrome]:
    """The browser with a clean session for one test (storage of the previous test cleared)."""
    browser.delete_all_cookies()
    browser.get_log("browser")  # what earlier tests logged is not this test's
    yield browser
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = request.node.name.replace("/", "_")
        browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
        (SCREENSHOTS / f"{name}.html").write_text(browser.page_source)
        console = "\n".join(f"{entry['level']} {entry['message']}" for entry in browser.get_log("browser"))
        (SCREENSHOTS / f"{name}.console.txt").write_text(console)
        print(f"the page's console:\n{console}")  # shown with the failure in CI's output
    with contextlib.suppress(Exception):  # a page that never loaded has no storage to clear
        browser.execute_script("window.sessionStorage.clear(); window.localStorage.clear();")


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)
