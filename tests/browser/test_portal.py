"""The member portal in a real headless Chromium, on a phone-sized window: a shop links a member
with a token; the member sees their balance, tier and the rules page, and redeems a reward."""

from __future__ import annotations

import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.test_console import buy_top_tier_membership
from tests.e2e.helpers import ADMIN_KEY

WAIT = 15


def by_testid(testid: str) -> tuple[str, str]:
    return By.CSS_SELECTOR, f'[data-testid="{testid}"]'


def wait_text(driver, testid: str, expected: str) -> None:
    WebDriverWait(driver, WAIT).until(
        expected_conditions.text_to_be_present_in_element(by_testid(testid), expected)
    )


def member_with_token(stack, points: int) -> tuple[str, str]:
    member_id = f"web-{uuid.uuid4().hex[:8]}"
    assert stack.call("POST", "/v1/members", {"member_id": member_id, "name": "Ann"}).status_code == 201
    grant = {"adjustment_id": f"a-{member_id}", "points": points, "reason": "welcome gift"}
    assert stack.call("POST", f"/v1/members/{member_id}/adjustments", grant, key=ADMIN_KEY).status_code == 201
    minted = stack.call("POST", f"/v1/members/{member_id}/tokens", {"ttl_seconds": 900})
    assert minted.status_code == 201, minted.text
    return member_id, minted.json()["token"]


def open_portal(driver, stack, token: str, lang: str = "en") -> None:
    driver.set_window_size(390, 844)  # a phone
    driver.get(f"{stack.url}/portal/?token={token}&lang={lang}")


def test_the_portal_shows_the_members_balance_tier_and_the_rules_page(stack, page):
    # Given a member with points and a token the shop minted
    member_id, token = member_with_token(stack, 1234)
    member = stack.call("GET", f"/v1/members/{member_id}").json()
    rules = stack.call("GET", "/v1/me/program?lang=en", key=token).json()
    # When the member opens the portal link
    open_portal(page, stack, token)
    # Then the balance and the tier are the API's
    wait_text(page, "balance-available", f"{member['balance']['available']:,}")
    assert page.find_element(*by_testid("tier-name")).text == member["tier"]["name"]
    # And what is missing for the next tier, as the API computes it
    next_tier = member["tier_progress"]["next_tier"]
    assert next_tier is not None  # the demo program has tiers above the base
    hint = page.find_element(*by_testid("upgrade-hint")).text
    assert next_tier["name"] in hint
    if next_tier["missing"].get("spend"):
        assert next_tier["missing"]["spend"] in hint
    # And the token left the address bar
    assert "token=" not in page.current_url
    # When the member opens the rules page
    page.find_element(*by_testid("nav-rules")).click()
    WebDriverWait(page, WAIT).until(
        expected_conditions.visibility_of_element_located(by_testid("program-rules"))
    )
    shown = page.find_element(*by_testid("program-rules")).text
    # Then every section of the generated rules is there, in plain words
    for section in rules["sections"]:
        assert section["title"] in shown
        assert section["lines"][0] in shown
    # And in Chinese when asked
    open_portal(page, stack, token, lang="zh-CN")
    page.find_element(*by_testid("nav-rules")).click()
    wait_text(page, "program-rules", "如何获得积分")


def test_a_member_redeems_a_reward_from_the_portal(stack, page):
    # Given a reward with stock and a member who can afford it
    reward_id = f"mug-{uuid.uuid4().hex[:6]}"
    reward = {
        "name": "Mug",
        "names": {"zh-CN": "马克杯"},
        "points_cost": 300,
        "stock": 5,
        "per_member_limit": 1,
    }
    assert stack.call("PUT", f"/v1/rewards/{reward_id}", reward, key=ADMIN_KEY).status_code == 200
    member_id, token = member_with_token(stack, 500)
    before = stack.call("GET", f"/v1/members/{member_id}").json()["balance"]["available"]
    # When the member opens the rewards tab and redeems it (and confirms)
    open_portal(page, stack, token)
    wait_text(page, "balance-available", f"{before:,}")
    page.find_element(*by_testid("nav-rewards")).click()
    button = WebDriverWait(page, WAIT).until(
        expected_conditions.element_to_be_clickable(by_testid(f"redeem-{reward_id}"))
    )
    button.click()
    WebDriverWait(page, WAIT).until(expected_conditions.alert_is_present()).accept()
    # Then the portal says it worked
    wait_text(page, "redeem-message", "300")
    # And the API shows the points spent and the stock taken, once
    after = stack.call("GET", f"/v1/members/{member_id}").json()["balance"]["available"]
    assert after == before - 300
    assert stack.call("GET", f"/v1/rewards/{reward_id}").json()["stock"] == 4
    entries = stack.call("GET", f"/v1/members/{member_id}/transactions").json()["items"]
    assert [entry["points"] for entry in entries if entry["type"] == "redeem"] == [-300]
    # And the reward now shows the member's limit reached, its button disabled
    WebDriverWait(page, WAIT).until(
        expected_conditions.text_to_be_present_in_element(by_testid(f"reasons-{reward_id}"), "limit reached")
    )
    assert not page.find_element(*by_testid(f"redeem-{reward_id}")).is_enabled()


def test_an_altered_token_shows_a_clear_message_and_no_data(stack, page):
    _, token = member_with_token(stack, 10)
    open_portal(page, stack, token[:-3] + "AAA")
    wait_text(page, "portal-error", "expired or is not valid")
    assert not page.find_elements(*by_testid("balance-available"))


def test_the_rewards_tab_lists_the_members_lottery_draws(stack, page):
    # Given a lottery and a draw the member made through the shop
    lottery_id = f"lucky-{uuid.uuid4().hex[:6]}"
    table = {
        "name": "Lucky",
        "points_cost": 5,
        "prizes": [{"prize_id": "pen", "name": "Golden pen", "weight": 1}],
    }
    assert stack.call("PUT", f"/v1/lotteries/{lottery_id}", table, key=ADMIN_KEY).status_code == 200
    member_id, token = member_with_token(stack, 50)
    draw = {"draw_id": f"d-{member_id}", "lottery_id": lottery_id}
    assert stack.call("POST", f"/v1/members/{member_id}/draws", draw).status_code == 201
    # When the member opens the rewards tab
    open_portal(page, stack, token)
    page.find_element(*by_testid("nav-rewards")).click()
    # Then the draw is listed with its prize
    wait_text(page, "draws", "Golden pen")


def test_the_tier_tab_shows_the_members_paid_membership(stack, page):
    # Given a program that sells a membership of its top tier, and a member who bought one
    member_id, token = member_with_token(stack, 10)
    bought = buy_top_tier_membership(stack, member_id)
    program = stack.call("GET", "/v1/program", key=ADMIN_KEY).json()
    # When the member opens the tier tab of the portal
    open_portal(page, stack, token)
    page.find_element(*by_testid("nav-tier")).click()
    # Then it shows the membership's tier and when the membership ends
    wait_text(page, "membership", bought["ends_on"])
    assert page.find_element(*by_testid("tier-name")).text == program["tiers"][-1]["name"]
