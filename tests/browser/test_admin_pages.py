"""The staff pages as a person sees them: each renders in headless Chromium with no error, and is photographed."""
import pytest

from tests.conftest import place_order_via_api

from .conftest import NO_CHROMIUM, OFFLINE_OK, SCREENSHOTS, browse, screenshot

pytest.importorskip("playwright.sync_api", reason="playwright (requirements.txt) is not installed")
pytestmark = pytest.mark.skipif(bool(NO_CHROMIUM), reason=NO_CHROMIUM)


def check(live_server, staff_login, visit):
    browse(live_server.url, *staff_login, visit)


def test_the_admin_index_links_the_communication_map(live_server, staff_login):
    def visit(page, problems):
        assert page.locator("#observability-links a").count() == 4
        screenshot(page, "admin-index")
        page.click("#observability-links >> text=Communication map")
        page.wait_for_selector("svg#communication-map")
    check(live_server, staff_login, visit)


def test_the_communication_map_draws_every_context_and_arrow(live_server, staff_login, catalog, customer):
    place_order_via_api(customer, "MUG", 1)  # every boundary called once: its breaker exists, closed

    def visit(page, problems):
        page.goto(f"{live_server.url}/admin/communication-map/")
        for context in ("shop", "orders", "inventory", "payments", "shipping", "notifications", "reviews"):
            assert page.locator(f'svg#communication-map g.box[data-context="{context}"]').is_visible(), context
        kinds = {g.get_attribute("data-kind") for g in page.locator("svg#communication-map g.arrow").all()}
        assert {"event", "command"} <= kinds and any(kind.startswith("sync") for kind in kinds)
        box = page.locator("svg#communication-map").bounding_box()
        assert box and box["width"] > 600 and box["height"] > 300, box
        hover = page.locator('g.arrow[data-source="orders"][data-target="payments"][data-kind^="sync"] title').text_content()
        assert "why:" in hover and "charge / refund" in hover and "breaker closed" in hover
        screenshot(page, "communication-map")
        page.locator("svg#communication-map").screenshot(path=str(SCREENSHOTS / "communication-map-drawing.png"))
    check(live_server, staff_login, visit)


def test_an_orders_admin_page_renders(live_server, staff_login, catalog, customer):
    order = place_order_via_api(customer, "MUG", 2)

    def visit(page, problems):
        page.goto(f"{live_server.url}/admin/orders/order/{order['order_id']}/change/")
        page.wait_for_selector("#order_form")
        assert page.locator("text=MUG").first.is_visible()
        assert "Checkout" in page.content()
        screenshot(page, "order")
    check(live_server, staff_login, visit)


def test_an_orders_trace_renders_as_a_waterfall(live_server, staff_login, catalog, customer):
    from observability import tracing
    from tests.conftest import deliver_outbox

    order = place_order_via_api(customer, "MUG", 1)
    deliver_outbox()  # the handlers' spans join the checkout's trace
    tracing.flush()  # the live server runs in this process: its spans are in this process's buffer

    def visit(page, problems):
        page.goto(f"{live_server.url}/admin/orders/order/{order['order_id']}/change/")
        page.click("#order-trace-link")
        page.wait_for_selector("table#waterfall")
        rows = page.locator("table#waterfall tr.span")
        assert rows.count() >= 10, rows.count()
        for name in ("checkout", "saga charge_payment", "payments.charge", "outbox handle"):
            assert page.locator(f"table#waterfall td.name:has-text('{name}')").count() >= 1, name
        bar = page.locator("table#waterfall .bar").first.bounding_box()
        assert bar and bar["width"] >= 1 and bar["height"] >= 8, bar
        page.locator("table#waterfall tr.span summary").first.click()  # a row opens on its attributes
        assert page.locator("table#waterfall details[open] code").count() >= 1
        screenshot(page, "order-trace")
    check(live_server, staff_login, visit)


def test_the_circuit_breakers_page_renders(live_server, staff_login, catalog, customer):
    place_order_via_api(customer, "MUG", 1)  # the live server runs in this process: it sees these breakers

    def visit(page, problems):
        page.goto(f"{live_server.url}/admin/common/faultrule/breakers/")
        page.wait_for_selector("#content table")
        assert page.locator("h1").text_content().strip() == "Circuit breakers"
        for boundary in ("inventory", "payments", "shipping"):
            assert page.locator(f"#content tr:has(td:text-is('{boundary}')) strong:text-is('closed')").count() == 1, boundary
        screenshot(page, "breakers")
    check(live_server, staff_login, visit)


@pytest.mark.parametrize("path, ready, name", [
    ("/api/docs/", ".swagger-ui .opblock", "swagger-ui"),  # operations drawn, not a blank page
    ("/api/redoc/", "[data-section-id^='operation/'], [data-section-id^='tag/']", "redoc"),
])
def test_the_api_docs_render_from_local_assets(live_server, staff_login, path, ready, name):
    def visit(page, problems):
        outside = []
        page.on("request", lambda request: outside.append(request.url)
                if not request.url.startswith((live_server.url, "data:", "blob:")) and request.url not in OFFLINE_OK else None)
        page.goto(f"{live_server.url}{path}")
        page.wait_for_selector(ready)
        assert page.locator(ready).count() > 1
        assert not outside, f"assets from outside the server (a CDN is a blank page here): {outside}"
        screenshot(page, name)
    check(live_server, staff_login, visit)
