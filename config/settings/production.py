"""Production profile: secrets and hosts must come from the environment."""
import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403

if os.environ.get("SECRET_KEY") in (None, "", "dev-only-insecure-key-change-me"):
    raise ImproperlyConfigured("Set SECRET_KEY in the environment for the production profile.")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
if os.environ.get("BOUNDARIES_PROFILE", "embedded") != "embedded" and any(
    token.startswith("dev-") for token in INTERNAL_SERVICE_TOKENS.values()  # noqa: F405
):
    raise ImproperlyConfigured("Set <CONTEXT>_SERVICE_TOKEN for every context when boundaries go over the wire.")
