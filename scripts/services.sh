# Sourced by scripts/test: make sure PostgreSQL and Redis answer on loopback, starting them if installed.
port_open() { python - "$1" <<'PY'
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
except OSError:
    sys.exit(1)
PY
}

wait_port() {  # wait_port PORT NAME
  for _ in $(seq 1 30); do port_open "$1" && return 0; sleep 1; done
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
