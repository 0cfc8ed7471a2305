"""The order trace page, staff only (mounted at /admin/traces/ by config/urls.py)."""
from django.contrib import admin
from django.urls import path

from .views import order_trace_view

urlpatterns = [
    path("order/<uuid:order_id>/", admin.site.admin_view(order_trace_view), name="order-trace"),
]
