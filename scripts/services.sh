# Sourced by scripts/test: make sure PostgreSQL, Redis and RabbitMQ answer on loopback, starting them if installed.
port_open() { python - "$1" <<'PY'
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
except OSError:
    sys.exit(1)
PY
}

wait_port() {  # wait_port PORT NAME [SECONDS]
  for _ in $(seq 1 "${3:-30}"); do port_open "$1" && return 0; sleep 1; done
  echo "error: $2 is not answering on 127.0.0.1:$1" >&2
  return 1
}

ensure_postgres() {
  port_open 5432 && return 0
  echo "==> starting PostgreSQL"
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  fi
  wait_port 5432 PostgreSQL
}

ensure_redis() {
  port_open 6379 && return 0
  echo "==> starting Redis"
  if command -v redis-server >/dev/null 2>&1; then
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
  fi
  wait_port 6379 Redis
}

ensure_rabbitmq() {
  port_open 5672 && return 0
  echo "==> starting RabbitMQ"
  if command -v rabbitmq-server >/dev/null 2>&1; then
    rabbitmq-server -detached
  fi
  wait_port 5672 RabbitMQ 90  # the Erlang VM and its boot take a while
}

rabbitmq_vhost_create() {  # rabbitmq_vhost_create NAME: a vhost of its own for one test run, guest may use it
  rabbitmqctl -q add_vhost "$1" >/dev/null
  rabbitmqctl -q set_permissions -p "$1" guest ".*" ".*" ".*" >/dev/null
}

rabbitmq_vhost_delete() {  # rabbitmq_vhost_delete NAME: its queues, exchanges and messages go with it
  rabbitmqctl -q delete_vhost "$1" >/dev/null 2>&1 || true
}

rabbitmq_vhosts_of_dead_runs() {  # the shop-test-<pid> vhosts whose run is gone (killed before cleaning up)
  rabbitmqctl -q list_vhosts 2>/dev/null | grep -E '^shop-test-[0-9]+$' | while read -r vhost; do
    kill -0 "${vhost#shop-test-}" 2>/dev/null || echo "$vhost"
  done
}
