"""Production profile: secrets and hosts must come from the environment; HTTPS, HSTS and strong service tokens."""
import os

from django.core.exceptions import ImproperlyConfigured

from common.transports.auth import token_problem

from .base import *  # noqa: F401,F403
from .base import env_bool
from .boundaries import CONTEXTS
from .boundaries import boundaries as _boundaries

if os.environ.get("SECRET_KEY") in (None, "", "dev-only-insecure-key-change-me"):
    raise ImproperlyConfigured("Set SECRET_KEY in the environment for the production profile.")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

# HTTPS: redirect and HSTS on by default. Behind a proxy that terminates TLS and redirects itself, set
# SECURE_SSL_REDIRECT=0 (and SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO if it sets that header).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
if not SECURE_SSL_REDIRECT:
    SILENCED_SYSTEM_CHECKS = ["security.W008"]  # the TLS proxy in front redirects, by the setting's own say
if os.environ.get("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = (os.environ["SECURE_PROXY_SSL_HEADER"], "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
# Throttle counts shared by every web process (the storefront's rate limits), unless told otherwise.
if "THROTTLE_CACHE_URL" not in os.environ:
    CACHES["throttle"] = {  # noqa: F405
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:6379/1",
        "KEY_PREFIX": "throttle", "OPTIONS": {"socket_connect_timeout": 0.1, "socket_timeout": 0.1},
    }

# Service tokens: no development defaults. A context whose token is unset accepts no call, and
# serve_context refuses to start for it (STRONG_SERVICE_TOKENS; common/transports/serve.py).
STRONG_SERVICE_TOKENS = True
INTERNAL_SERVICE_TOKENS = {context: os.environ.get(f"{context.upper()}_SERVICE_TOKEN", "") for context in CONTEXTS}
BOUNDARIES = _boundaries(
    os.environ.get("BOUNDARIES_PROFILE", "embedded"), os.environ, tokens=INTERNAL_SERVICE_TOKENS,
    timeout=float(os.environ.get("BOUNDARY_TIMEOUT", "5")), tls=BOUNDARIES_TLS,  # noqa: F405
)
_weak = [problem for context, config in BOUNDARIES.items() if config["transport"] != "local"
         for problem in [token_problem(context, INTERNAL_SERVICE_TOKENS[context])] if problem]
if _weak:
    raise ImproperlyConfigured("Boundaries go over the wire with weak service tokens: " + "; ".join(_weak))
