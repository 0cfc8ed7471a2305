"""gunicorn settings for the web under gunicorn (`--config python:observability.gunicorn`): metrics of dead workers."""
from common.observers import observer


def child_exit(server, worker):
    """A worker exited: its live gauges leave the multiprocess directory (prometheus_client's rule)."""
    observer().process_exited(worker.pid)
