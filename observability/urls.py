"""The communication map's admin page, staff only (mounted under /admin/ by config/urls.py)."""
from django.contrib import admin
from django.urls import path

from .views import communication_map_view

urlpatterns = [
    path("", admin.site.admin_view(communication_map_view), name="communication-map"),
]
