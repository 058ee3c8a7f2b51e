"""The README's screenshots of the front-ends, made the way the browser tests see them:

    .venv/bin/python -m tests.browser.screenshots

starts a local stack (its table on DynamoDB Local) and headless Chromium, gives the demo tenant a
member with some history and a small catalog, and writes docs/portal.png (a phone), docs/console.png
(a member's page on a laptop), docs/console-exports.png (an export done, on a tablet) and
docs/api-docs.png."""

from __future__ import annotations

import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from infra.dynamodb_local import DynamoDBLocal
from tests.browser.conftest import CHROMEDRIVER, CHROMIUM
from tests.e2e.conftest import running_stack
from tests.e2e.helpers import ADMIN_KEY, RunningStack

DOCS = Path(__file__).resolve().parents[2] / "docs"


def seed(stack: RunningStack) -> str:
    member_id = "ann"
    stack.call("POST", "/v1/members", {"member_id": member_id, "name": "Ann"})
    for number, amount in enumerate(("129.90", "899.00", "45.50"), start=1):
        purchase = {"order_id": f"o-{number}", "member_id": member_id, "amount": amount, "currency": "CNY"}
        stack.call("POST", "/v1/purchases", purchase)
    stack.call("POST", "/v1/activities", {"activity_id": "act-1", "member_id": member_id, "type": "review"})
    for reward_id, reward in {
        "mug": {
            "name": "Mug",
            "names": {"zh-CN": "马克杯"},
            "points_cost": 300,
            "stock": 20,
            "per_member_limit": 1,
        },
        "umbrella": {"name": "Umbrella", "names": {"zh-CN": "雨伞"}, "points_cost": 800, "stock": 0},
        "service": {
            "name": "Free car wash",
            "names": {"zh-CN": "免费洗车"},
            "kind": "service",
            "points_cost": 5000,
        },
    }.items():
        stack.call("PUT", f"/v1/rewards/{reward_id}", reward, key=ADMIN_KEY)
    return member_id


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=en-US"):
        options.add_argument(argument)
    with DynamoDBLocal() as dynamodb, running_stack(dynamodb.endpoint) as stack:
        member_id = seed(stack)
        token = stack.call("POST", f"/v1/members/{member_id}/tokens", {}).json()["token"]
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        try:
            driver.set_window_size(390, 844)
            driver.get(f"{stack.url}/portal/?token={token}&lang=en")
            time.sleep(2)
            driver.save_screenshot(str(DOCS / "portal.png"))
            driver.get(f"{stack.url}/portal/?lang=en#rules")
            time.sleep(2)
            driver.save_screenshot(str(DOCS / "portal-rules.png"))
            driver.set_window_size(1280, 900)
            driver.get(f"{stack.url}/console/?lang=en")
            driver.execute_script("sessionStorage.setItem('loyalty.adminKey', arguments[0])", ADMIN_KEY)
            driver.get(f"{stack.url}/console/?lang=en#members/{member_id}")
            driver.refresh()
            time.sleep(2)
            driver.save_screenshot(str(DOCS / "console.png"))
            driver.set_window_size(820, 1180)
            driver.get(f"{stack.url}/console/?lang=en#exports")
            driver.refresh()
            WebDriverWait(driver, 15).until(
                expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, '[data-testid="export-start"]'))
            ).click()
            WebDriverWait(driver, 90).until(
                expected_conditions.visibility_of_element_located(
                    (By.CSS_SELECTOR, '[data-testid="export-download"]')
                )
            )
            time.sleep(1)
            driver.save_screenshot(str(DOCS / "console-exports.png"))
            driver.get(f"{stack.url}/v1/docs")
            time.sleep(3)
            driver.save_screenshot(str(DOCS / "api-docs.png"))
        finally:
            driver.quit()
    print(f"screenshots written to {DOCS}")


if __name__ == "__main__":
    main()
