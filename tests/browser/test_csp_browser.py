"""The Content-Security-Policy in a real browser: staff pages load, search and switch language with zero
violations (Chromium reports each as a `securitypolicyviolation` event), and the policy is really enforced."""
import re

from playwright.sync_api import Page, expect

from tests.browser.test_desk_browser import PASSWORD

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", e =>
  window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}`));
"""


def violations(page: Page) -> list[str]:
    return page.evaluate("window.__violations")


def test_staff_pages_run_without_a_single_csp_violation(page: Page, make):
    manager = make.staff("manager")
    member = make.member(first_name="Aino", last_name="Virtanen", phone="+358401234567")
    make.membership(member, make.plan(name="Monthly", duration_days=30, price_minor=5900))
    member_id = member.id
    page.add_init_script(RECORD_VIOLATIONS)

    page.goto("/login")
    assert violations(page) == []
    page.get_by_label("Email").fill(manager.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/$"))
    response = page.request.get("/")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]

    page.locator("#q").press_sequentially("Virt")   # the live search puts the results in with innerHTML
    expect(page.locator("#results")).to_contain_text("Aino Virtanen")
    assert violations(page) == []
    visited = {}
    for path in (f"/members/{member_id}", "/sessions/", "/reports/renewals", "/imports/", "/settings/", "/today/"):
        page.goto(path)
        page.wait_for_timeout(50)   # a violation's event is queued as a task: let it arrive
        visited[path] = violations(page)
    assert all(found == [] for found in visited.values()), visited

    page.get_by_label("Language").select_option("de")   # the switcher's autosubmit, now a script file
    expect(page.locator("html")).to_have_attribute("lang", "de")
    assert violations(page) == []


def test_the_policy_blocks_an_inline_script(browser, live_server):
    """A script that got into a page (what CSP is for) does not run: the policy is enforced, not only sent."""
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto("/login")
    page.evaluate("""() => {
      const s = document.createElement("script");
      s.textContent = "window.__ran = true";
      document.body.appendChild(s);
    }""")
    page.wait_for_timeout(100)
    ran, found = page.evaluate("window.__ran === true"), violations(page)
    context.close()
    assert not ran
    assert any(v.startswith("script-src") for v in found), found
