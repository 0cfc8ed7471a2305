"""Project URLs: storefront API, admin (with the communication map), OpenAPI schema, Swagger UI and ReDoc."""
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from common.health import healthz

urlpatterns = [
    path("", RedirectView.as_view(url="/api/", permanent=False)),
    # Before admin.site.urls so the admin's catch-all does not answer it; staff only (observability/urls.py).
    path("admin/communication-map/", include("observability.urls")),
    path("admin/traces/", include("observability.trace_urls")),  # an order's trace as a waterfall, staff only
    path("admin/", admin.site.urls),
    path("api/", include("shop.urls")),
    path("api-auth/", include("rest_framework.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    # Its own template (observability/templates) drops the Google Fonts links: no internet here.
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema", template_name="api_docs/redoc.html"), name="redoc"),
    path("healthz", healthz, name="healthz"),  # readiness probe (run_topology, load balancers)
    path("", include("observability.metrics_urls")),  # GET /metrics: staff or the scrape token
]

# Django's own error answers: JSON in the API's one error shape under /api/, its pages elsewhere (admin).
handler400 = "common.http.bad_request"
handler403 = "common.http.permission_denied"
handler404 = "common.http.not_found"
handler500 = "common.http.server_error"
