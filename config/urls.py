"""Project URLs: storefront API, admin, OpenAPI schema and Swagger UI."""
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from common.health import healthz

urlpatterns = [
    path("", RedirectView.as_view(url="/api/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/", include("shop.urls")),
    path("api-auth/", include("rest_framework.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("healthz", healthz, name="healthz"),  # readiness probe (run_topology, load balancers)
]

# Django's own error answers: JSON in the API's one error shape under /api/, its pages elsewhere (admin).
handler400 = "common.http.bad_request"
handler403 = "common.http.permission_denied"
handler404 = "common.http.not_found"
handler500 = "common.http.server_error"
