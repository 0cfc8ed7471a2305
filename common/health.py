"""GET /healthz on every HTTP process (web and each context server): ready once its database answers."""
from django.db import DatabaseError, connection
from django.http import JsonResponse


def healthz(request):
    """{"status": "ok"} (200) when this process reaches its database, {"status": "unavailable"} (503) when not."""
    try:
        connection.ensure_connection()
    except DatabaseError:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
