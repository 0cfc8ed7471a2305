"""Topology files: the shipped ones are complete, a wrong one is refused with a clear message, and
--procfile prints the same processes with the environment that places every boundary."""
import pytest
from django.core.management import CommandError, call_command

from topology import spec


@pytest.mark.parametrize("name", spec.available())
def test_shipped_topologies_run_every_context_queue_a_relay_and_beat(name):
    topology = spec.load(name)
    consumed = {queue for worker in topology.workers.values() for queue in worker["queues"]}
    assert consumed == {spec.DEFAULT_QUEUE, "orders", "inventory", "payments", "shipping", "notifications", "shop"}
    assert topology.relays and topology.beat
    names = [process.name for process in spec.processes(topology, log_dir=topology.logs)]
    assert len(names) == len(set(names))


def test_split_serves_four_contexts_and_points_every_boundary_at_them():
    topology = spec.with_free_ports(spec.load("split"))
    env = spec.boundary_env(topology)
    assert env["INVENTORY_TRANSPORT"] == "grpc" and env["INVENTORY_GRPC_TARGET"] == topology.contexts["inventory"]["address"]
    for context in ("orders", "payments", "shipping", "reviews"):
        assert env[f"{context.upper()}_REST_TARGET"] == f"http://{topology.contexts[context]['address']}"
    assert spec.boundary_env(spec.load("monolith")) == {"BOUNDARIES_PROFILE": "embedded", **{
        f"{context.upper()}_TRANSPORT": "local" for context in spec.SERVABLE}}


@pytest.mark.parametrize("text, message", [
    ('[web]\naddress = "127.0.0.1:1"\n[contexts.notifications]\nserve = "rest"\naddress = "127.0.0.1:2"\n',
     "notifications has no server"),
    ('[web]\naddress = "127.0.0.1:1"\n[contexts.orders]\nserve = "soap"\naddress = "127.0.0.1:2"\n', "serve = rest|grpc"),
    ('[web]\naddress = "127.0.0.1:1"\n[contexts.orders]\n[workers.w]\nqueues = ["orders", "billing"]\n', "not ['billing']"),
    ('[contexts.orders]\n', "[web] needs an address"),
    ('[web]\nserver = "gunicorn"\n', "[web] needs an address"),
    ('[web\n', "not valid TOML"),
    ('[web]\naddress = "127.0.0.1:1"\n[contexts.orders]\ndatabase = "orders"\n',
     "contexts.orders.database is 'orders' but DATABASE_URLS puts orders on 'default'"),
    ('[web]\naddress = "127.0.0.1:1"\n[relays.relay]\ndatabase = "nowhere"\n', "'nowhere' is no database"),
])
def test_a_wrong_topology_is_refused_with_what_is_wrong(tmp_path, text, message):
    path = tmp_path / "wrong.toml"
    path.write_text(text)
    with pytest.raises(CommandError, match=message.replace("[", r"\[").replace("|", r"\|")):
        call_command("run_topology", str(path), "--procfile")


def test_an_unknown_topology_names_the_known_ones():
    with pytest.raises(CommandError, match="known: monolith, split"):
        call_command("run_topology", "galaxy")


def test_procfile_lists_every_process_with_its_boundaries(capsys):
    call_command("run_topology", "split", "--procfile", "--web-server", "gunicorn")
    lines = dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines())
    assert set(lines) == {"inventory", "orders", "payments", "shipping", "reviews", "web", "relay", "beat",
                          *(f"worker-{c}" for c in ("orders", "inventory", "payments", "shipping", "notifications", "shop"))}
    assert "gunicorn config.wsgi:application" in lines["web"]
    assert "INVENTORY_TRANSPORT=grpc" in lines["web"] and "serve_context inventory --grpc" in lines["inventory"]


def test_every_database_gets_a_relay():
    # DATABASE_URLS naming two contexts: the file's relay serves default, run_topology adds one for each other.
    assert spec.relays(spec.load("split"), databases=["default", "orders", "payments"]) == {
        "relay": "default", "relay-orders": "orders", "relay-payments": "payments"}
    relay = next(p for p in spec.processes(spec.load("split"), log_dir=spec.load("split").logs) if p.name == "relay")
    assert relay.args[-2:] == ("--database", "default")
