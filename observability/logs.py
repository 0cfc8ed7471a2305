"""A logging filter that stamps every record with its trace id, span id and correlation id ("-" when none)."""
import logging

from opentelemetry import trace
from opentelemetry.trace import format_span_id, format_trace_id


class TraceContextFilter(logging.Filter):
    """Adds `trace_id`, `span_id` and `correlation_id` to each record, for the log format and for JSON handlers."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        record.trace_id = format_trace_id(context.trace_id) if context.is_valid else "-"
        record.span_id = format_span_id(context.span_id) if context.is_valid else "-"
        from outbox.api import current_correlation_id  # here: logging is configured before the apps are loaded

        record.correlation_id = current_correlation_id() or "-"
        return True
