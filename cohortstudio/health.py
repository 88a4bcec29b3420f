"""`/healthz` for the load balancer: database, Redis, and checks other apps register."""

import time

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

# check() -> (name, ok, detail dict); registered by apps in AppConfig.ready().
health_checks = []


def _database():
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "database", True, {"ms": round((time.monotonic() - started) * 1000, 1)}


def _redis():
    if not settings.REDIS_URL:
        return "redis", True, {"configured": False}
    started = time.monotonic()
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    client.ping()
    return "redis", True, {"ms": round((time.monotonic() - started) * 1000, 1)}


@never_cache
def healthz_view(request):
    results, healthy = {}, True
    for check in (_database, _redis, *health_checks):
        try:
            name, ok, detail = check()
        except Exception as error:  # a failing dependency is the answer, not a crash
            name = getattr(check, "__name__", "check").lstrip("_")
            ok, detail = False, {"error": type(error).__name__}
        results[name] = {"ok": ok, **detail}
        healthy = healthy and ok
    return JsonResponse({"ok": healthy, "checks": results}, status=200 if healthy else 503)
