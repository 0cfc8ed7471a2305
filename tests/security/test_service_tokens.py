"""Internal endpoints accept only their own context's token, over REST and gRPC; production refuses weak ones."""
import importlib
import subprocess
import sys

import grpc
import pytest
import requests
from django.conf import settings as django_settings
from google.protobuf import message_factory

from common.transports.auth import is_authorised
from inventory.transports.rest import OPERATIONS as INVENTORY
from orders.transports.rest import OPERATIONS as ORDERS
from payments.transports.rest import OPERATIONS as PAYMENTS
from shipping.transports.rest import OPERATIONS as SHIPPING
from tests.processes import ROOT, child_env

ORDER_ID = "0b8c6f59-1e0b-4b8e-a9f3-8c3a3f7e4d21"
EVERY_OPERATION = [(context, op) for context, ops in
                   (("inventory", INVENTORY), ("orders", ORDERS), ("payments", PAYMENTS), ("shipping", SHIPPING))
                   for op in ops]


def wrong_tokens(context: str) -> dict:
    other = "payments" if context != "payments" else "orders"
    own = django_settings.INTERNAL_SERVICE_TOKENS[context]
    return {"none": None, "other context's": f"Bearer {django_settings.INTERNAL_SERVICE_TOKENS[other]}",
            "wrong": f"Bearer {own}x", "prefix of": f"Bearer {own[:-1]}", "another scheme": f"Token {own}",
            "bare": own}


@pytest.mark.processes
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("context,operation", EVERY_OPERATION, ids=lambda v: getattr(v, "name", v))
def test_every_internal_rest_operation_refuses_missing_other_and_wrong_tokens(context_servers, context, operation):
    url = context_servers[context]["rest"] + f"/internal/{context}/" + operation.path.replace("<str:order_id>", ORDER_ID).replace("<str:sku>", "MUG")
    for label, header in wrong_tokens(context).items():
        headers = {"Authorization": header} if header else {}
        response = requests.request(operation.verb, url, json={}, headers=headers, timeout=5)
        assert response.status_code == 401, (label, response.text)
        assert response.json()["code"] in ("authentication_failed", "not_authenticated"), label


def every_grpc_method():
    for context in ("inventory", "orders", "payments", "shipping"):
        messages = importlib.import_module(f"{context}.transports.grpc.{context}_pb2")
        for service in messages.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                yield context, service.full_name, method


@pytest.mark.processes
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("context,service,method", list(every_grpc_method()), ids=lambda v: getattr(v, "name", None))
def test_every_grpc_method_refuses_missing_other_and_wrong_tokens(context_servers, context, service, method):
    request_class = message_factory.GetMessageClass(method.input_type)
    with grpc.insecure_channel(context_servers[context]["grpc"]) as channel:
        call = channel.unary_unary(f"/{service}/{method.name}", request_serializer=lambda m: m.SerializeToString(),
                                   response_deserializer=lambda b: b)
        for label, header in wrong_tokens(context).items():
            metadata = (("authorization", header),) if header else ()
            with pytest.raises(grpc.RpcError) as refused:
                call(request_class(), metadata=metadata, timeout=5)
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED, label


def test_the_bearer_scheme_is_case_insensitive(settings):
    token = settings.INTERNAL_SERVICE_TOKENS["payments"]
    assert all(is_authorised("payments", f"{scheme} {token}") for scheme in ("Bearer", "bearer", "BEARER"))
    assert not is_authorised("payments", f"Bearerx {token}")


def _production(*args, **env) -> subprocess.CompletedProcess:
    environment = child_env(DJANGO_SETTINGS_MODULE="config.settings.production", SECRET_KEY="p" * 40 + "roduction-key-01234",
                            **env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.processes
@pytest.mark.parametrize("token,why", [(None, "not set"), ("dev-payments-service-token", "development default"),
                                       ("short-but-not-dev", "shorter than 32")])
def test_production_refuses_to_serve_a_context_behind_a_weak_token(token, why):
    env = {"PAYMENTS_SERVICE_TOKEN": token} if token else {}
    result = _production("serve_context", "payments", "--http", "127.0.0.1:0", **env)
    assert result.returncode != 0
    assert why in result.stderr, result.stderr[-500:]
    assert "Listening" not in result.stderr


@pytest.mark.processes
def test_production_refuses_remote_boundaries_with_dev_tokens():
    result = _production("check", BOUNDARIES_PROFILE="rest", PAYMENTS_SERVICE_TOKEN="dev-payments-service-token")
    assert result.returncode != 0 and "weak service tokens" in result.stderr


@pytest.mark.processes
@pytest.mark.parametrize("env,silenced", [({}, "0 silenced"), ({"SECURE_SSL_REDIRECT": "0"}, "1 silenced")],
                         ids=["https", "behind-a-tls-proxy"])
def test_check_deploy_is_clean_under_the_production_profile(env, silenced):
    result = _production("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode == 0, result.stderr + result.stdout
    assert f"no issues ({silenced})" in result.stdout
