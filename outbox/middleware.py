"""Give every request a message context, so the events one request causes share a correlation id."""
from .envelope import message_context


class MessageContextMiddleware:
    """Reads X-Correlation-ID and traceparent from the request (or starts new ones)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with message_context(correlation_id=request.headers.get("X-Correlation-ID") or None,
                             traceparent=request.headers.get("traceparent")):
            return self.get_response(request)
