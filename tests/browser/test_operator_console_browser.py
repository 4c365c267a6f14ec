"""The operator's experience in Chromium at 1366x768: an accessibility audit (axe-core, shipped
by the axe-playwright-python package of the test extra, never fetched at run time) of every
catalog page, keyboard use of the list's bulk selection, the admin's image list fitting the
width, and screenshots of each page in ``var/test-artifacts/browser/``."""

import pytest

from tests.browser.conftest import PASSWORDS

VIEWPORT = {"width": 1366, "height": 768}
# axe-core's impact levels that fail the audit (minor and moderate are reported, not failed).
FAILING = {"serious", "critical"}


def _axe():
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        pytest.skip("axe-playwright-python is not installed (make install-test)")
    return Axe()


class Wide:
    """One persona's 1366x768 browser context, logged in through the form."""

    def __init__(self, browser, live, artifacts, persona, login="/catalog/login/"):
        self.live, self.artifacts = live, artifacts
        self.context = browser.new_context(base_url=live.url, viewport=VIEWPORT)
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.page.on(
            "console", lambda m: self.console.append(m.text) if m.type == "error" else None
        )
        self.page.goto(login)
        self.page.fill("#id_username", persona)
        self.page.fill("#id_password", PASSWORDS[persona])
        self.page.click("button[type=submit], input[type=submit]")
        self.page.wait_for_load_state()

    def shot(self, name: str, full_page=False):
        self.page.screenshot(path=str(self.artifacts / f"{name}.png"), full_page=full_page)

    def audit(self, axe) -> list[str]:
        results = axe.run(self.page)
        return [
            f"{self.page.url}: {v['id']} ({v['impact']}): {v['help']} "
            f"[{', '.join(n['target'][0] for n in v['nodes'][:3])}]"
            for v in results.response["violations"]
            if v["impact"] in FAILING
        ]


@pytest.fixture(scope="module")
def world(live):
    made = {}
    for name in ("console-a", "console-b"):
        status, image = live.api(
            "alice",
            "POST",
            "/v2/images",
            {
                "name": name,
                "disk_format": "raw",
                "container_format": "bare",
                "visibility": "shared",
            },
        )
        assert status == 201, image
        made[name] = image["id"]
    conn = live.connection()
    conn.request(
        "PUT",
        f"/v2/images/{made['console-a']}/file",
        body=b"\0" * 1536,
        headers={"X-Auth-Token": live.tokens["alice"], "Content-Type": "application/octet-stream"},
    )
    assert conn.getresponse().status == 204
    conn.close()
    status, _ = live.api(
        "alice",
        "POST",
        f"/v2/images/{made['console-b']}/members",
        {"member": live.projects["b"]},
    )
    assert status == 200
    live.manage(
        "shell",
        "-c",
        "from catalog.services import usage_history;usage_history.record_daily_samples()",
    )
    return made


@pytest.fixture(scope="module")
def alice_wide(chromium, live, artifacts, world):
    session = Wide(chromium, live, artifacts, "alice")
    yield session
    session.context.close()


@pytest.fixture(scope="module")
def admin_wide(chromium, live, artifacts, world):
    session = Wide(chromium, live, artifacts, "admin", login="/admin/login/?next=/admin/")
    yield session
    session.context.close()


def test_catalog_pages_pass_the_accessibility_audit(alice_wide, world, chromium, live, artifacts):
    axe = _axe()
    page = alice_wide.page
    problems = []
    pages = [
        ("/catalog/", "20-dashboard"),
        ("/catalog/images/", "21-catalog-list"),
        (f"/catalog/images/{world['console-a']}/", "22-catalog-detail"),
        ("/catalog/images/new/", None),
        ("/catalog/usage/", None),
        ("/catalog/publications/", None),
    ]
    for path, name in pages:
        page.goto(path)
        problems += alice_wide.audit(axe)
        if name:
            alice_wide.shot(name)
    bob = Wide(chromium, live, artifacts, "bob")
    bob.page.goto("/catalog/invitations/")
    problems += bob.audit(axe)
    bob.context.close()
    assert not problems, "\n".join(problems)
    assert not [m for m in alice_wide.console if "Content Security Policy" in m]


def test_bulk_selection_by_keyboard_then_confirmation(alice_wide, world):
    axe = _axe()
    page = alice_wide.page
    page.goto("/catalog/images/")
    # Tab to the "select every image" box and tick it with the space bar.
    page.focus("#select-all")
    page.keyboard.press("Space")
    assert page.locator("input[name=image]:checked").count() >= 2
    page.select_option("#bulk-action", "deactivate")
    page.focus("form.bulk button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Deactivate" in page.locator("h1").inner_text()
    assert page.locator("text=console-a").count() >= 1
    alice_wide.shot("23-catalog-bulk-confirm")
    problems = alice_wide.audit(axe)
    assert not problems, "\n".join(problems)
    page.click("a:has-text('Cancel')")


def test_swagger_ui_runs_without_a_csp_violation(alice_wide):
    page = alice_wide.page
    before = len(alice_wide.console)
    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .info", timeout=15000)
    assert not [m for m in alice_wide.console[before:] if "Content Security Policy" in m]


def test_admin_image_list_fits_1366_and_change_page(admin_wide, world):
    page = admin_wide.page
    page.goto("/admin/catalog/image/")
    assert page.locator("#result_list").count() == 1
    # Every column is on screen: the results do not scroll sideways and end inside the view.
    overflow = page.evaluate(
        "(() => { const r = document.querySelector('.results');"
        " return r.scrollWidth - r.clientWidth; })()"
    )
    assert overflow <= 0, overflow
    right = page.evaluate("document.querySelector('#result_list').getBoundingClientRect().right")
    assert right <= VIEWPORT["width"], right
    assert page.locator(".vt-badge.vt-status-active").count() >= 1
    assert page.locator("button.vt-copy").count() >= 2
    admin_wide.shot("24-admin-image-list")
    page.goto(f"/admin/catalog/image/{world['console-a']}/change/")
    assert page.locator("text=1.5 KiB").count() >= 1
    admin_wide.shot("25-admin-image-change", full_page=True)
