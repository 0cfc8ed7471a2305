"""OpenTelemetry's Django middleware, minus its one way to turn bad input into a 500."""
from opentelemetry.instrumentation.django.middleware.otel_middleware import _DjangoMiddleware


class TracingMiddleware(_DjangoMiddleware):
    """A server span per request; a request whose URL the WSGI helpers cannot encode (a path with characters
    outside Latin-1, as a fuzzer sends) goes on untraced, so the view answers it (404) instead of a 500."""

    def process_request(self, request):
        try:
            return super().process_request(request)
        except UnicodeError:
            return None
