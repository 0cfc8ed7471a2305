"""The admin index links the observability pages (the communication map; the breakers live in common)."""
from django.contrib import admin

# Django's own admin/index.html comes first in the template search (django.contrib.admin is installed
# first), so the index is pointed at a template that extends it rather than shadowing it.
admin.site.index_template = "admin/observability/index.html"
