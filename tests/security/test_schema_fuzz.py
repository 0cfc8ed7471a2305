"""schemathesis against live servers with real tokens: every operation of the storefront's schema and of each
context's internal schema, all checks, positive and negative cases, a fixed seed, bounded examples; no failure.

SCHEMATHESIS_EXAMPLES (default 30) bounds the cases per operation and mode; the run prints how many it sent.
"""
import os
import time

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode

from tests.conftest import order_body

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "30"))
# Valid by the schema is not always acceptable to the business: an unknown sku or order id (400/404), a
# cancelled order (402/409), a reused Idempotency-Key (422). Never a 5xx, and the body always in its schema.
ACCEPTABLE = ["2xx", "400", "401", "402", "404", "409", "422", "429"]
CONFIG = {"checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTABLE}},
          "generation": {"with-security-parameters": False}}  # the real token is sent; no mutated copies of it


def fuzz(schema, *, base_url: str, headers: dict) -> tuple[int, list[str]]:
    """Run every operation of `schema` in both modes against `base_url`; returns (cases sent, failures)."""
    sent, failures = 0, []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @hypothesis.settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                                 phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
                                 print_blob=False)
            @hypothesis.given(case=operation.as_strategy(mode))
            def run(case):
                nonlocal sent
                sent += 1
                case.call_and_validate(base_url=base_url, headers=headers, timeout=10)

            try:
                run()
            except hypothesis.errors.Unsatisfiable:
                pass  # nothing in this operation can be made invalid (a path id may be any string but "/")
            except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001  (collect all: one run names every problem)
                failures.append(f"{operation.label} [{mode.value}]: {str(failure)[:1500]}")
    return sent, failures


@pytest.mark.processes
@pytest.mark.django_db(transaction=True)
def test_the_storefront_schema_holds_under_fuzzing(live_server, catalog, customer, capsys):
    token = Token.objects.create(user=customer).key
    # Some known data for the generator to stumble on, beside what it makes up.
    from tests.conftest import client_for

    client_for(customer).post("/api/orders/", order_body(("MUG", 1)), format="json")
    schema = schemathesis.openapi.from_url(live_server.url + "/api/schema/?format=json",
                                           config=schemathesis.Config.from_dict(CONFIG))
    started = time.monotonic()
    sent, failures = fuzz(schema, base_url=live_server.url, headers={"Authorization": f"Token {token}"})
    with capsys.disabled():
        print(f"\nschemathesis storefront: {sent} cases in {time.monotonic() - started:.1f} s")
    assert not failures, "\n\n".join(failures)


@pytest.mark.processes
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("context", ["inventory", "orders", "payments", "shipping", "reviews"])
def test_each_internal_schema_holds_under_fuzzing(context_servers, catalog, settings, context, capsys):
    base_url = context_servers[context]["rest"]
    headers = {"Authorization": f"Bearer {settings.INTERNAL_SERVICE_TOKENS[context]}"}
    schema = schemathesis.openapi.from_url(f"{base_url}/internal/{context}/schema/", headers=headers,
                                           config=schemathesis.Config.from_dict(CONFIG))
    started = time.monotonic()
    sent, failures = fuzz(schema, base_url=base_url, headers=headers)
    with capsys.disabled():
        print(f"\nschemathesis internal {context}: {sent} cases in {time.monotonic() - started:.1f} s")
    assert not failures, "\n\n".join(failures)
