"""Settings namespaces: manage.py check refuses unknown keys and bad values by name; the environment sets values."""
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from common.conf import AppSettings, Key, positive
from common.transports.rest import RestClient
from inventory.api import InventoryApi
from orders.conf import orders_settings
from outbox.conf import outbox_settings


def check_output() -> str:
    """What `manage.py check` says with these settings ("" when it finds nothing)."""
    try:
        call_command("check", tags=["settings"])
    except SystemCheckError as error:
        return str(error)
    return ""


def test_the_settings_as_configured_pass_the_check():
    assert check_output() == ""


@pytest.mark.parametrize("setting, value, message", [
    ("OUTBOX", {"LEASE_SECONDZ": 5}, "settings.OUTBOX['LEASE_SECONDZ']: unknown key"),
    ("OUTBOX", {"BATCH_SIZE": "500"}, "settings.OUTBOX['BATCH_SIZE']: '500' is not int"),
    ("OUTBOX", {"POLL_SECONDS": 0}, "settings.OUTBOX['POLL_SECONDS']: must be above zero"),
    ("CHECKOUT_MODE", "fast", "settings.CHECKOUT_MODE: 'fast' is not one of 'orchestrated', 'choreographed'"),
    ("CHECKOUT_SAGA", {"give_up_afer": 60}, "settings.CHECKOUT_SAGA['give_up_afer']: unknown key"),
    ("PAYMENT_PROVIDER", {"decline_over_amount": 5000.0}, "settings.PAYMENT_PROVIDER['decline_over_amount']: 5000.0 is not str"),
    ("API_THROTTLE", {"rates": {"order_ip": "lots"}}, "settings.API_THROTTLE['rates']['order_ip']: must be"),
    ("RESERVATION_HOLD_SECONDS", True, "settings.RESERVATION_HOLD_SECONDS: True is not float or int"),
    ("BOUNDARIES", {"payments": {"transport": "rest", "target": "http://127.0.0.1:1", "timout": 1}},
     "settings.BOUNDARIES: ['payments']['timout']: unknown key for transport 'rest'"),
    ("BOUNDARIES", {"payments": {"transport": "soap"}}, "['payments']['transport']: 'soap' is not one of"),
    ("RESILIENCE", {"boundaries": {"payments": {"operations": {"charge": {"timout": 1}}}}},
     "settings.RESILIENCE: ['boundaries']['payments']['operations']['charge']: unknown resilience settings: ['timout']"),
])
def test_check_names_the_unknown_key_or_bad_value(settings, setting, value, message):
    declared = getattr(settings, setting)
    setattr(settings, setting, {**declared, **value} if isinstance(value, dict) and setting != "BOUNDARIES" else value)
    assert message in check_output()


def test_a_namespace_reads_the_setting_when_called_and_fills_left_out_keys(settings):
    settings.CHECKOUT_SAGA = {"give_up_after": 4.0}
    assert orders_settings.CHECKOUT_SAGA == {**{"step_deadline": 30.0, "backoff_initial": 1.0, "backoff_max": 60.0},
                                             "give_up_after": 4.0}
    with pytest.raises(AttributeError, match="declares no setting 'CHECKOUT_SAGAS'"):
        orders_settings.CHECKOUT_SAGAS  # noqa: B018


def test_the_environment_beats_a_profile_default_which_beats_the_declared_one():
    env = {"OUTBOX_LEASE_SECONDS": "7", "OUTBOX_SYNCHRONOUS_HANDLER_COMMIT": "yes"}
    value = outbox_settings.from_env("OUTBOX", env, default={"LEASE_SECONDS": 5.0, "MAX_ATTEMPTS": 3})
    assert (value["LEASE_SECONDS"], value["MAX_ATTEMPTS"], value["BATCH_SIZE"]) == (7.0, 3, 500)
    assert value["SYNCHRONOUS_HANDLER_COMMIT"] is True
    # The first variable set wins: CHECKOUT_SAGA_CHARGE_WINDOW is the give-up timeout's older name.
    saga = orders_settings.from_env("CHECKOUT_SAGA", {"CHECKOUT_SAGA_CHARGE_WINDOW": "30"})
    assert saga["give_up_after"] == 30.0


def test_an_environment_variable_that_does_not_parse_is_named():
    with pytest.raises(ImproperlyConfigured, match="OUTBOX_BATCH_SIZE='lots': not int"):
        outbox_settings.from_env("OUTBOX", {"OUTBOX_BATCH_SIZE": "lots"})


def test_a_new_namespace_is_checked_like_the_others(settings):
    demo = AppSettings("demo_conf_test", Key("DEMO_LIMIT", 3, "a demo", check=positive))
    settings.DEMO_LIMIT = -1
    assert [error.msg for error in demo.check()] == ["settings.DEMO_LIMIT: must be above zero"]


def test_a_transport_client_refuses_a_key_it_does_not_take():
    with pytest.raises(TypeError, match="timout"):
        RestClient("inventory", InventoryApi, (), target="http://127.0.0.1:1", timout=1)
