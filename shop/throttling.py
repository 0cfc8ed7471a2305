"""Rate limits of the storefront: token auth per IP and per username, order placement and cancel per user and per IP.

Rates come from settings.API_THROTTLE (read when called) and counts live in the `throttle` cache, Redis in
production, so every web process counts together. A cache that does not answer lets the request through.
"""
from __future__ import annotations

import logging

from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

from .conf import shop_settings

logger = logging.getLogger("shop.throttling")


class ScopedThrottle(SimpleRateThrottle):
    """A throttle whose rate is settings.API_THROTTLE["rates"][scope]; subclasses say whom it counts."""

    scope = ""

    def __init__(self):  # SimpleRateThrottle reads its rate at construction; read it from settings here
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)

    @property
    def cache(self):
        return caches[shop_settings.API_THROTTLE["cache"]]

    def get_rate(self):
        if not shop_settings.API_THROTTLE["enabled"]:
            return None
        return shop_settings.API_THROTTLE["rates"].get(self.scope)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)  # an unreadable body raises here: the API answers 400/413
        if self.key is None:
            return True
        try:
            self.history = self.cache.get(self.key, [])
            self.now = self.timer()
            while self.history and self.history[-1] <= self.now - self.duration:
                self.history.pop()
            if len(self.history) >= self.num_requests:
                return self.throttle_failure()
            return self.throttle_success()
        except Exception as error:  # noqa: BLE001  (a throttle that cannot count must not take the API down)
            logger.warning("throttle %s could not count (%s); request let through", self.scope, error)
            return True

    def identity(self, request) -> str | None:
        raise NotImplementedError

    def get_cache_key(self, request, view):
        identity = self.identity(request)
        return None if identity is None else self.cache_format % {"scope": self.scope, "ident": identity}


class PerUser(ScopedThrottle):
    """Counts the signed-in user's requests."""

    def identity(self, request):
        return str(request.user.pk) if request.user and request.user.is_authenticated else None


class PerIP(ScopedThrottle):
    """Counts the client address's requests (X-Forwarded-For only through settings' NUM_PROXIES)."""

    def identity(self, request):
        return self.get_ident(request)


class PerUsername(ScopedThrottle):
    """Counts sign-in attempts per username tried, whoever tries it, so one account cannot be guessed at from many IPs."""

    def identity(self, request):
        username = request.data.get("username") if hasattr(request.data, "get") else None
        return username.strip().lower()[:150] if isinstance(username, str) and username.strip() else None


def throttles(*scopes: str) -> list[type[ScopedThrottle]]:
    """Throttle classes for `scopes` such as "order_user" or "auth_ip" (the suffix says whom they count)."""
    kinds = {"user": PerUser, "ip": PerIP, "username": PerUsername}
    return [type(f"{scope.title().replace('_', '')}Throttle", (kinds[scope.rsplit("_", 1)[1]],), {"scope": scope})
            for scope in scopes]
