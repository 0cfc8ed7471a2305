"""GET /metrics, included by the web's URLs (config/urls.py) and by each serve_context server's."""
from django.urls import path

from .scrape import metrics_view

urlpatterns = [path("metrics", metrics_view, name="metrics")]
