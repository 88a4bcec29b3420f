"""The 500 page: rendered from settings alone, because the database may be what failed."""

from django.conf import settings
from django.http import HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token


@requires_csrf_token
def server_error_view(request):
    # No request context: the context processors would read the user and the organization from the database.
    context = {"SUPPORT_EMAIL": settings.SUPPORT_EMAIL, "ZOOM_SIMULATOR": settings.ZOOM_SIMULATOR}
    return HttpResponseServerError(loader.get_template("500.html").render(context))
