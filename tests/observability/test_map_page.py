"""The communication map's admin page: staff only, every arrow drawn with its kind, transport, breaker and why."""
import re

import pytest
from django.test import override_settings

from observability.communication_map import communication_map, why


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user("staff", password="pw", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_only_staff_see_the_map(client, db):
    response = client.get("/admin/communication-map/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_every_arrow_is_drawn_with_its_kind(staff_client):
    html = staff_client.get("/admin/communication-map/").content.decode()
    drawn = set(re.findall(r'data-source="(\w+)" data-target="(\w+)" data-kind="([\w -]+)"', html))
    expected = {(i.source, i.target, i.kind) for i in communication_map()}
    assert expected and drawn == expected
    for context in ("shop", "orders", "inventory", "payments", "shipping", "notifications", "reviews"):
        assert f'data-context="{context}"' in html


def test_moving_a_boundary_to_grpc_moves_its_arrow_on_the_page(staff_client, settings):
    boundaries = {**settings.BOUNDARIES, "payments": {"transport": "grpc", "target": "127.0.0.1:1", "token": "t"}}
    with override_settings(BOUNDARIES=boundaries):
        html = staff_client.get("/admin/communication-map/").content.decode()
    assert 'data-source="orders" data-target="payments" data-kind="sync gRPC"' in html


def test_each_sync_arrow_and_the_command_carry_their_scenario3_reason(staff_client):
    html = staff_client.get("/admin/communication-map/").content.decode()
    for source, target, kind in (("orders", "payments", "sync"), ("shop", "inventory", "sync"),
                                 ("orders", "notifications", "command"), ("inventory", "orders", "event")):
        reason = why(source, target, kind)
        assert reason and reason in html.replace("&#x27;", "'")


def test_metrics_are_not_made_up(staff_client):
    html = staff_client.get("/admin/communication-map/").content.decode()
    cells = re.findall(r'<td class="metrics">(.*?)</td>', html, re.S)
    assert len(cells) == len({(i.source, i.target, i.kind) for i in communication_map()})
    assert all(cell.startswith("not measured yet") for cell in cells)


def test_the_admin_index_links_the_map_and_the_docs(staff_client):
    html = staff_client.get("/admin/").content.decode()
    for href in ("/admin/communication-map/", "/admin/common/faultrule/breakers/", "/api/docs/", "/api/redoc/"):
        assert f'href="{href}"' in html


def test_every_call_and_command_of_the_shop_has_its_reason_written():
    missing = {(i.source, i.target, i.kind) for i in communication_map()
               if i.kind != "event" and not why(i.source, i.target, i.kind).strip()}
    assert not missing, f"add the Scenario 3 reason to WHY in config/settings/boundaries.py: {missing}"


def test_a_call_without_a_written_reason_is_found(settings):
    settings.BOUNDARIES_WHY = {key: text for key, text in settings.BOUNDARIES_WHY.items() if key[1] != "payments"}
    assert why("orders", "payments", "sync REST") == ""
