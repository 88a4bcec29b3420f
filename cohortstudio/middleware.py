"""Requests no page can answer, turned away before any view looks them up; endpoints that need no page's work."""

from urllib.parse import unquote

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.http import Http404


class RejectNulMiddleware:
    """A NUL in the path or the query string answers 404.

    No address of ours holds one, and PostgreSQL refuses NUL in a text lookup, so
    it would otherwise reach a token lookup and fail there as a server error.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or "\x00" in unquote(request.META.get("QUERY_STRING", "")):
            raise Http404("NUL in the address")
        return self.get_response(request)


class BareEndpointsMiddleware:
    """The paths of `settings.BARE_ENDPOINTS` go straight to their view, past every middleware after this one.

    Zoom's webhook endpoint verifies Zoom's signature itself and answers no browser: it reads no session, no
    signed-in user, no CSRF token, no messages and no current organization, and sets no cookie, yet at the top
    of the hour it takes thousands of requests a minute, each paying for that work. Its path (exactly, the
    query string aside) skips it; the host is still checked against ALLOWED_HOSTS as CommonMiddleware does, and
    an error still answers Django's error response. Every other path goes through the whole stack.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.paths = frozenset(settings.BARE_ENDPOINTS)
        bare = BaseHandler()  # resolves the URL and calls the view, with no view or exception middleware
        bare._view_middleware, bare._template_response_middleware, bare._exception_middleware = [], [], []
        self.bare_response = convert_exception_to_response(self._host_checked(bare._get_response))

    @staticmethod
    def _host_checked(view_response):
        def respond(request):
            request.get_host()  # DisallowedHost (400) for a host not in ALLOWED_HOSTS
            return view_response(request)

        return respond

    def __call__(self, request):
        if request.path_info in self.paths:
            return self.bare_response(request)
        return self.get_response(request)
