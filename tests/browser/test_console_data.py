"""The console's newer pages in a real headless Chromium, on a tablet-sized window: find a member by
email, freeze them and see it, start an export and follow it to its download link, read the audit
log's entry of an adjustment just made; the imports page is hidden while the API has no imports."""

from __future__ import annotations

import time
import uuid

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser.test_console import by_testid, visible, wait_text
from tests.e2e.helpers import ADMIN_KEY

TABLET = (820, 1180)  # an iPad Air held upright
EXPORT_WAIT = 90  # the export's chunks run on the stack's queue poller


def sign_in_on_a_tablet(driver, stack) -> None:
    driver.set_window_size(*TABLET)
    driver.get(f"{stack.url}/console/?lang=en")
    visible(driver, "api-key").send_keys(ADMIN_KEY)
    driver.find_element(*by_testid("sign-in")).click()
    visible(driver, "nav-members")


def fits_the_width(driver) -> bool:
    """Nothing sticks out sideways: the page needs no horizontal scrolling on this window."""
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def enrol(stack, **profile) -> str:
    member_id = f"con-{uuid.uuid4().hex[:8]}"
    answer = stack.call("POST", "/v1/members", {"member_id": member_id, **profile})
    assert answer.status_code == 201, answer.text
    return member_id


def test_searching_by_email_finds_the_member(stack, page):
    # Given a member enrolled with an email, and one with another email
    email = f"{uuid.uuid4().hex[:8]}@Example.com"
    member_id = enrol(stack, email=email, phone="+86 138 0013 8000")
    enrol(stack, email=f"other-{email}")
    # When the admin searches for the address in other letters
    sign_in_on_a_tablet(page, stack)
    page.find_element(*by_testid("nav-members")).click()
    visible(page, "member-search").send_keys(f" {email.upper()} ")
    page.find_element(*by_testid("member-find")).click()
    # Then that member's page opens, with the API's balance
    available = stack.call("GET", f"/v1/members/{member_id}").json()["balance"]["available"]
    wait_text(page, "member-available", f"{available:,}")
    assert member_id in page.find_element(*by_testid("member-page")).text
    assert page.current_url.endswith(f"#members/{member_id}")
    assert fits_the_width(page)
    # And an address nobody has says so
    search = page.find_element(*by_testid("member-search"))
    search.clear()
    search.send_keys("nobody@example.com")
    page.find_element(*by_testid("member-find")).click()
    wait_text(page, "member-error", "nobody@example.com")


def test_freezing_a_member_shows_the_status_and_unfreezing_releases_the_withheld_points(stack, page):
    # Given a member found by id
    member_id = enrol(stack)
    sign_in_on_a_tablet(page, stack)
    page.find_element(*by_testid("nav-members")).click()
    visible(page, "member-search").send_keys(member_id)
    page.find_element(*by_testid("member-find")).click()
    wait_text(page, "member-status", "Active")
    # When the admin freezes them with a reason
    page.find_element(*by_testid("status-reason")).send_keys("chargeback pattern")
    page.find_element(*by_testid("status-submit")).click()
    # Then the page and the API show them frozen
    wait_text(page, "member-status", "Frozen")
    wait_text(page, "status-result", "Frozen")
    assert stack.call("GET", f"/v1/members/{member_id}").json()["status"] == "frozen"
    # When they buy while frozen, their points are withheld and the page shows it
    order = {
        "order_id": f"o-{uuid.uuid4().hex[:8]}",
        "member_id": member_id,
        "amount": "100.00",
        "currency": "CNY",
    }
    assert stack.call("POST", "/v1/purchases", order).status_code in (200, 201)
    withheld = stack.call("GET", f"/v1/members/{member_id}").json()["balance"]["withheld"]
    assert withheld > 0
    page.find_element(*by_testid("member-find")).click()
    wait_text(page, "member-withheld", f"{withheld:,}")
    # When the admin unfreezes them, releasing the withheld points
    before = stack.call("GET", f"/v1/members/{member_id}").json()["balance"]["available"]
    page.find_element(*by_testid("status-reason")).send_keys("cleared")
    page.find_element(*by_testid("status-submit")).click()
    # Then active again, nothing withheld, the points available
    wait_text(page, "member-status", "Active")
    after = stack.call("GET", f"/v1/members/{member_id}").json()
    assert (after["status"], after["balance"]["withheld"]) == ("active", 0)
    assert after["balance"]["available"] == before + withheld
    wait_text(page, "member-withheld", "0")


def test_an_export_runs_to_its_end_and_shows_a_download_link(stack, page):
    # Given a member (the export has at least one row)
    member_id = enrol(stack)
    sign_in_on_a_tablet(page, stack)
    page.find_element(*by_testid("nav-exports")).click()
    # When the admin starts a members export as CSV
    Select(visible(page, "export-kind")).select_by_value("members")
    Select(page.find_element(*by_testid("export-format"))).select_by_value("csv")
    page.find_element(*by_testid("export-start")).click()
    # Then its progress is shown until it is done, with a download link that serves the file
    WebDriverWait(page, EXPORT_WAIT).until(
        expected_conditions.text_to_be_present_in_element(by_testid("export-status"), "Done")
    )
    link = visible(page, "export-download").get_attribute("href")
    downloaded = requests.get(link, timeout=15)
    assert downloaded.status_code == 200
    assert downloaded.text.splitlines()[0].startswith("member_id,available,pending,held")
    assert member_id in downloaded.text
    # And the list of exports shows it, as the API lists it
    listed = stack.call("GET", "/v1/exports?limit=1", key=ADMIN_KEY).json()["items"][0]
    assert listed["status"] == "done"
    wait_text(page, "exports-table", listed["export_id"])
    assert fits_the_width(page)


def test_the_audit_page_lists_the_adjustment_just_made(stack, page):
    # Given an adjustment just made to a member
    member_id = enrol(stack)
    reason = f"goodwill {uuid.uuid4().hex[:6]}"
    adjustment = {"adjustment_id": f"adj-{uuid.uuid4().hex[:8]}", "points": 321, "reason": reason}
    answer = stack.call("POST", f"/v1/members/{member_id}/adjustments", adjustment, key=ADMIN_KEY)
    assert answer.status_code == 201, answer.text
    # When the admin opens the audit log and filters by that member
    sign_in_on_a_tablet(page, stack)
    page.find_element(*by_testid("nav-audit")).click()
    visible(page, "audit-member").send_keys(member_id)
    page.find_element(*by_testid("audit-search")).click()
    # Then the one entry is the adjustment, with its points and reason (the unfiltered page shown
    # first holds it too: wait for the filtered one)
    WebDriverWait(page, 15).until(lambda driver: len(driver.find_elements(*by_testid("audit-row"))) == 1)
    wait_text(page, "audit-table", reason)
    rows = page.find_elements(*by_testid("audit-row"))
    assert len(rows) == 1
    assert member_id in rows[0].text
    assert "321" in rows[0].text
    entries = stack.call("GET", f"/v1/audit?member_id={member_id}", key=ADMIN_KEY).json()["items"]
    assert [entry["action"] for entry in entries] == [rows[0].find_element(By.CSS_SELECTOR, "code").text]
    assert fits_the_width(page)


def test_the_imports_page_is_shown_only_when_the_api_has_imports(stack, page):
    # Given whether this stack answers GET /v1/imports
    has_imports = stack.call("GET", "/v1/imports", key=ADMIN_KEY).status_code != 404
    # When the admin signs in
    sign_in_on_a_tablet(page, stack)
    # Then the imports page is in the menu exactly when the API has imports
    assert bool(page.find_elements(*by_testid("nav-imports"))) == has_imports
    # And the new pages have their Chinese names
    page.get(f"{stack.url}/console/?lang=zh-CN")
    wait_text(page, "nav-exports", "导出")
    assert page.find_element(*by_testid("nav-audit")).text == "审计日志"


def test_the_imports_page_dry_runs_a_csv_then_imports_it_showing_progress_and_errors_by_line(
    stack, page, tmp_path
):
    # Given a CSV file of two members with one bad row between them
    unique = uuid.uuid4().hex[:8]
    csv = f"member_id,points\nimp-{unique}-1,100\nimp-{unique}-2,1.5\nimp-{unique}-3,50\n"
    upload = tmp_path / "members.csv"
    upload.write_text(csv)
    sign_in_on_a_tablet(page, stack)
    page.find_element(*by_testid("nav-imports")).click()
    # When the admin chooses the file and runs a dry run
    visible(page, "import-file").send_keys(str(upload))
    assert not page.find_element(*by_testid("import-run")).is_enabled()  # a dry run comes first
    page.find_element(*by_testid("import-dry-run")).click()
    # Then the API's dry run answer and its refused row (line 3) are shown, and nothing was imported
    wait_text(page, "import-result", "2 rows would import, 1 would fail")
    wait_text(page, "import-errors", "1.5")
    assert "3" in page.find_element(*by_testid("import-errors")).text
    assert stack.call("GET", f"/v1/members/imp-{unique}-1").status_code == 404
    # When the admin imports it
    WebDriverWait(page, 10).until(lambda driver: driver.find_element(*by_testid("import-run")).is_enabled())
    page.find_element(*by_testid("import-run")).click()
    # Then the job's progress runs to done through the stack's queue and workers, with its rows
    wait_text(page, "import-status", "Done", timeout=60)
    wait_text(page, "import-rows", "Imported 2")
    assert page.find_element(*by_testid("import-progress")).get_attribute("value") == "3"
    # And the members have their points, and the import is in the list with its rows
    balances = [
        stack.call("GET", f"/v1/members/imp-{unique}-{n}").json()["balance"]["available"] for n in (1, 3)
    ]
    assert balances == [100, 50]
    listed = stack.call("GET", "/v1/imports?limit=20", key=ADMIN_KEY).json()["items"]
    mine = [job for job in listed if job["rows"] == {"total": 3, "imported": 2, "failed": 1}]
    assert mine
    wait_text(page, "imports-table", mine[0]["import_id"])


SLOW_REPORTS = """
const original = window.fetch;
window.fetch = (path, init) => String(path).startsWith('/v1/reports/')
  ? new Promise((resolve) => setTimeout(() => resolve(original(path, init)), 1500))
  : original(path, init);
"""


def test_a_page_opened_while_the_dashboard_still_loads_is_not_replaced_by_it(stack, page):
    # Given reports that answer slowly (a busy deployment)
    added = page.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": SLOW_REPORTS})
    try:
        # When the admin signs in and opens the exports page before the dashboard has loaded
        sign_in_on_a_tablet(page, stack)
        page.find_element(*by_testid("nav-exports")).click()
        visible(page, "export-start")
        time.sleep(2.5)  # the dashboard's reports have answered by now
        # Then the exports page is still the one shown
        assert page.find_elements(*by_testid("export-start"))
        assert not page.find_elements(*by_testid("liability-points"))
    finally:
        page.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": added["identifier"]})
