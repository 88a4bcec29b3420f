"""Requests no page can answer, turned away before any view looks them up."""

from urllib.parse import unquote

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
