"""W3C trace context across processes: a call over REST or gRPC to a served context continues the caller's trace
(its server span is a child of the caller's client span), and the served process's spans reach the span store."""
import pytest
from opentelemetry import trace

from inventory.api import get_inventory_api
from observability import tracing
from observability.models import SpanRecord
from tests.conftest import on_postgres
from tests.observability.traces import forget_buffered
from tests.processes import wait_for
from tests.servers import context_servers, remote_boundaries

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True), pytest.mark.in_process_only,
              pytest.mark.timeout(120), pytest.mark.skipif(not on_postgres(), reason="run once, on PostgreSQL")]


@pytest.fixture(scope="module")
def inventory_server(django_db_setup, django_db_blocker):
    # Its spans are written every 0.2 s, so the test reads them back within a second.
    with django_db_blocker.unblock(), context_servers(contexts=("inventory",), TRACING_STORE_FLUSH_SECONDS="0.2",
                                                      CELERY_TASK_ALWAYS_EAGER="1") as servers:
        yield servers


@pytest.mark.parametrize("transport", ["rest", "grpc"])
def test_a_remote_call_continues_the_callers_trace(transport, inventory_server, catalog, settings):
    forget_buffered()
    settings.BOUNDARIES = {**settings.BOUNDARIES, **remote_boundaries(inventory_server, transport)}
    # Warm: the first call to a fresh server can outlast availability's short per-try timeout on a busy machine
    # (its fallback then answers), and this test is about the trace, not the timeout.
    get_inventory_api().get_availability(skus=["MUG"])
    with trace.get_tracer("test").start_as_current_span("caller") as caller:
        get_inventory_api().get_availability(skus=["MUG"])
    trace_id = f"{caller.get_span_context().trace_id:032x}"
    tracing.flush()
    served = wait_for(lambda: list(SpanRecord.objects.filter(trace_id=trace_id, service="inventory", kind="server")),
                      timeout=15, message=f"the inventory server's span in trace {trace_id}")
    ours = {s.span_id: s for s in SpanRecord.objects.filter(trace_id=trace_id).exclude(service="inventory")}
    call = next(s for s in ours.values() if s.name == "inventory.get_availability")
    assert call.attributes["transport"] == transport and call.attributes["outcome"] == "ok"
    # The server's span hangs off the client's span (urllib3's or gRPC's), itself inside the boundary call.
    client = ours[served[0].parent_id]
    assert client.kind == "client" and client.parent_id == call.span_id
