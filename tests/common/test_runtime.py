"""The composition root owns the process's state: a setting change forgets what was built from it, reset() all."""
from django.test import override_settings

from common.resilience.breaker import all_breakers, breaker_for
from common.resilience.config import BreakerPolicy
from common.resilience.storage import forced_state, set_forced_state
from common.runtime import Runtime, runtime
from inventory.api import get_inventory_api


def test_reset_closes_breakers_and_unpins_them():
    breaker_for("payments", BreakerPolicy())
    set_forced_state("payments", "open")
    assert forced_state("payments") == "open" and all_breakers()
    runtime.reset()
    assert forced_state("payments") is None
    assert all_breakers() == []


def test_a_changed_setting_forgets_only_what_was_built_from_it(settings):
    client = get_inventory_api()
    breaker_for("inventory", BreakerPolicy())
    with override_settings(RESILIENCE={**settings.RESILIENCE, "fault_refresh_seconds": 2}):
        assert get_inventory_api() is client  # built from BOUNDARIES, not RESILIENCE
    settings.BOUNDARIES = {**settings.BOUNDARIES}
    assert get_inventory_api() is not client  # rebuilt from the changed setting
    assert all_breakers()  # breakers are not built from BOUNDARIES


def test_a_store_is_emptied_by_its_settings_and_reset_unless_kept():
    root = Runtime()
    plans = root.store("plans", built_from={"RESILIENCE"})
    pools = root.store("pools", kept_on_reset=True)
    calls = []
    root.on_reload(lambda: calls.append("hook"), built_from={"RESILIENCE"})
    plans["a"] = pools["b"] = 1
    root.reload("BOUNDARIES")
    assert plans and pools and calls == []
    root.reload("RESILIENCE")
    assert not plans and pools and calls == ["hook"]
    plans["a"] = 1
    root.reset()
    assert not plans and pools == {"b": 1} and calls == ["hook", "hook"]
    assert root.store("plans") is plans and root.sizes() == {"plans": 0, "pools": 1}
