from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from cohortstudio.urls import urlpatterns as project_urlpatterns


@csrf_exempt
def trivial_view(request):
    """The floor for the webhook ratio: the same middleware stack, no work at all."""
    return HttpResponse("ok")


urlpatterns = [path("bench/trivial/", trivial_view), *project_urlpatterns]
