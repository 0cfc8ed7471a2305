"""The observability admin pages, staff only: the communication map and the order trace (mounted by config/urls.py)."""
from django.contrib import admin
from django.urls import path

from .views import communication_map_view, order_trace_view

urlpatterns = [
    path("", admin.site.admin_view(communication_map_view), name="communication-map"),
]

# Mounted at /admin/traces/ (config/urls.py): an order's trace as a waterfall.
trace_urlpatterns = [
    path("order/<uuid:order_id>/", admin.site.admin_view(order_trace_view), name="order-trace"),
]
