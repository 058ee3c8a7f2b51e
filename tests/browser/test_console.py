"""The admin console and the docs page in a real headless Chromium, on a laptop-sized window: sign
in with the admin key, the dashboard (figures equal to the reports, or a clear "unavailable"), find
a member and adjust their points, the program editor's validation messages from the API and a
publish; the docs page renders every operation."""

from __future__ import annotations

import json
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.helpers import ADMIN_KEY

WAIT = 15


def by_testid(testid: str) -> tuple[str, str]:
    return By.CSS_SELECTOR, f'[data-testid="{testid}"]'


def visible(driver, testid: str):
    return WebDriverWait(driver, WAIT).until(
        expected_conditions.visibility_of_element_located(by_testid(testid))
    )


def wait_text(driver, testid: str, expected: str, timeout: float = WAIT) -> None:
    WebDriverWait(driver, timeout).until(
        expected_conditions.text_to_be_present_in_element(by_testid(testid), expected)
    )


def sign_in(driver, stack) -> None:
    driver.set_window_size(1280, 900)
    driver.get(f"{stack.url}/console/?lang=en")
    visible(driver, "api-key").send_keys(ADMIN_KEY)
    driver.find_element(*by_testid("sign-in")).click()
    visible(driver, "nav-members")


def set_editor(driver, document: dict) -> None:
    editor = driver.find_element(*by_testid("program-editor"))
    driver.execute_script("arguments[0].value = arguments[1];", editor, json.dumps(document, indent=2))


def test_the_console_signs_in_and_shows_the_dashboard_figures_of_the_reports(stack, page):
    # When the admin signs in
    sign_in(page, stack)
    # Then the dashboard shows the liability the summary report gives
    summary = stack.call("GET", "/v1/reports/summary", key=ADMIN_KEY)
    assert summary.status_code == 200, summary.text
    wait_text(page, "liability-points", f"{summary.json()['liability']['points']:,}")
    # And the key is kept for this tab only
    assert page.execute_script("return window.sessionStorage.getItem('loyalty.adminKey')") == ADMIN_KEY
    assert page.execute_script("return window.localStorage.getItem('loyalty.adminKey')") is None


def test_a_wrong_key_is_refused_at_sign_in(stack, page):
    page.get(f"{stack.url}/console/?lang=en")
    visible(page, "api-key").send_keys("not-a-key")
    page.find_element(*by_testid("sign-in")).click()
    wait_text(page, "sign-in-error", "refused")
    assert not page.find_elements(*by_testid("nav-members"))


def test_the_console_finds_a_member_and_adjusts_their_points(stack, page):
    # Given a member
    member_id = f"con-{uuid.uuid4().hex[:8]}"
    assert stack.call("POST", "/v1/members", {"member_id": member_id}).status_code == 201
    before = stack.call("GET", f"/v1/members/{member_id}").json()["balance"]["available"]
    # When the admin finds them
    sign_in(page, stack)
    page.find_element(*by_testid("nav-members")).click()
    visible(page, "member-search").send_keys(member_id)
    page.find_element(*by_testid("member-find")).click()
    # Then their available balance is the API's
    wait_text(page, "member-available", f"{before:,}")
    # When the admin grants 250 points with a reason
    page.find_element(*by_testid("adjust-points")).send_keys("250")
    page.find_element(*by_testid("adjust-reason")).send_keys("goodwill")
    page.find_element(*by_testid("adjust-submit")).click()
    # Then the page and the API show the new balance, with one adjustment entry
    wait_text(page, "member-available", f"{before + 250:,}")
    wait_text(page, "adjust-result", "250")
    assert stack.call("GET", f"/v1/members/{member_id}").json()["balance"]["available"] == before + 250
    entries = stack.call("GET", f"/v1/members/{member_id}/transactions").json()["items"]
    assert [(e["type"], e["points"], e["reason"]) for e in entries if e["type"] == "adjust"] == [
        ("adjust", 250, "goodwill")
    ]
    # And an unknown member says so
    search = page.find_element(*by_testid("member-search"))
    search.clear()
    search.send_keys("nobody-here")
    page.find_element(*by_testid("member-find")).click()
    wait_text(page, "member-error", "nobody-here")


def test_the_program_editor_shows_the_apis_validation_error_and_publishes_a_change(stack, page):
    # Given the published program
    current = stack.call("GET", "/v1/program").json()
    sign_in(page, stack)
    page.find_element(*by_testid("nav-program")).click()
    visible(page, "program-editor")
    # When the admin publishes a negative base rate
    set_editor(page, {**current, "earn": {**current["earn"], "points_per_unit": -5}})
    page.find_element(*by_testid("program-publish")).click()
    # Then the API's 422 message is shown in place, naming the field, and nothing is published
    wait_text(page, "program-errors", "earn.points_per_unit")
    assert stack.call("GET", "/v1/program").json()["version"] == current["version"]
    # When the admin changes the signup bonus instead and publishes
    set_editor(page, {**current, "signup_bonus": current["signup_bonus"] + 7})
    page.find_element(*by_testid("program-publish")).click()
    # Then the next version is published with the change
    wait_text(page, "program-result", str(current["version"] + 1))
    published = stack.call("GET", "/v1/program").json()
    assert (published["version"], published["signup_bonus"]) == (
        current["version"] + 1,
        current["signup_bonus"] + 7,
    )
    # And the preview of a purchase shows what the API's preview computes
    amount = page.find_element(*by_testid("preview-amount"))
    amount.clear()
    amount.send_keys("250.00")
    page.find_element(*by_testid("preview-submit")).click()
    body = {
        "order_id": "p1",
        "member_id": "preview-member",
        "amount": "250.00",
        "currency": current["currency"],
    }
    expected = stack.call("POST", "/v1/program/preview", body).json()["points_earned"]
    wait_text(page, "preview-result", f"{expected:,} points")


def test_the_docs_page_renders_every_operation(stack, page):
    # Given the OpenAPI document's operations
    document = stack.call("GET", "/v1/openapi.json", key=None).json()
    operations = [(method, path) for path, item in document["paths"].items() for method in item]
    # When the docs page is opened
    page.get(f"{stack.url}/v1/docs")
    WebDriverWait(page, 30).until(
        lambda driver: len(driver.find_elements(By.CSS_SELECTOR, ".opblock")) >= len(operations)
    )
    # Then Swagger UI shows one block per operation, the member routes among them
    blocks = page.find_elements(By.CSS_SELECTOR, ".opblock")
    assert len(blocks) == len(operations)
    paths = {
        block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path")
        for block in blocks
    }
    assert {"/v1/me", "/v1/me/redemptions", "/v1/members/{member_id}/tokens"} <= paths


SUMMARY = {
    "as_of": "2026-12-04T12:00:00Z",
    "liability": {"points": 1234567, "value": {"amount": "12345.67", "currency": "CNY"}},
    "points": {"issued": 2000000, "redeemed": 600000, "expired": 150000, "clawed_back": 15433},
    "members": {"total": 4200, "active": 1300, "by_tier": {"regular": 3900, "silver": 250, "gold": 50}},
    "redemption_rate": 0.3,
    "breakage_rate": 0.075,
}
CUSTOMERS = {
    "pareto": {"top_20_percent_share": 0.64},
    "rfm": {"segments": [{"segment": "champions", "members": 120}, {"segment": "at_risk", "members": 340}]},
}


def test_the_dashboard_draws_reports_of_the_contracts_shape(stack, page):
    # Given the reports answer in the shape API.md gives them (served to this page alone, before
    # it loads, whatever this deployment's report endpoints do)
    answers = json.dumps({"/v1/reports/summary": SUMMARY, "/v1/reports/customers": CUSTOMERS})
    stub = (
        f"const answers = {answers}; const original = window.fetch;"
        " window.fetch = (path, init) => answers[path]"
        " ? Promise.resolve(new Response(JSON.stringify(answers[path]), {status: 200}))"
        " : original(path, init);"
    )
    added = page.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": stub})
    try:
        # When the admin signs in
        sign_in(page, stack)
        # Then the figures are the reports' and the charts are drawn
        wait_text(page, "liability-points", "1,234,567")
        assert "12345.67 CNY" in page.find_element(*by_testid("liability-value")).text
        assert page.find_element(*by_testid("members-total")).text == "4,200"
        assert page.find_element(*by_testid("redemption-rate")).text == "30.0%"
        assert page.find_element(*by_testid("pareto-share")).text == "64.0%"
        for chart in ("chart-flows", "chart-tiers", "chart-rfm"):
            WebDriverWait(page, WAIT).until(
                lambda driver, chart=chart: driver.find_elements(
                    By.CSS_SELECTOR, f'[data-testid="{chart}"] canvas'
                )
            )
    finally:
        page.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": added["identifier"]})


def buy_top_tier_membership(stack, member_id: str) -> dict:
    """The demo program sells a year of its top tier (plan `web-top`); the member buys one."""
    program = stack.call("GET", "/v1/program", key=ADMIN_KEY).json()
    if not any(plan["plan_id"] == "web-top" for plan in program.get("membership_plans", [])):
        plan = {
            "plan_id": "web-top",
            "tier_id": program["tiers"][-1]["id"],
            "price": {"amount": "99.00", "currency": program["currency"]},
            "months": 12,
        }
        program["membership_plans"] = [*program.get("membership_plans", []), plan]
        assert stack.call("PUT", "/v1/program", program, key=ADMIN_KEY).status_code == 200
    body = {"membership_id": f"ms-{member_id}", "plan_id": "web-top", "order_id": f"o-{member_id}",
            "amount": "99.00", "currency": program["currency"]}  # fmt: skip
    bought = stack.call("POST", f"/v1/members/{member_id}/memberships", body)
    assert bought.status_code == 201, bought.text
    return bought.json()


def test_the_member_page_shows_the_paid_membership(stack, page):
    # Given a program that sells a membership of its top tier, and a member who bought one
    member_id = f"con-{uuid.uuid4().hex[:8]}"
    assert stack.call("POST", "/v1/members", {"member_id": member_id}).status_code == 201
    bought = buy_top_tier_membership(stack, member_id)
    # When the admin opens the member's page
    sign_in(page, stack)
    page.find_element(*by_testid("nav-members")).click()
    visible(page, "member-search").send_keys(member_id)
    page.find_element(*by_testid("member-find")).click()
    # Then it names the membership and its end
    wait_text(page, "member-membership", f"ms-{member_id}")
    wait_text(page, "member-membership", bought["ends_on"])
