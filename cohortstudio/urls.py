from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from cohortstudio.health import healthz_view
from courses import cohort_views
from courses import views as course_views

urlpatterns = [
    # First: Zoom's webhook is the busiest path, and resolution stops at the first match.
    path("", include("zoom_integration.urls")),
    path("", course_views.home_view, name="home"),
    path("healthz", healthz_view, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page links. Lazy and not permanent: the hashed
    # static name is read from the manifest at request time and changes with the file.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("img/favicon.svg")), name="favicon"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("orgs.urls")),
    path("courses/", include("courses.urls")),
    path("portal/", include("courses.portal_urls")),
    path("portal/certificates/", include("certificates.portal_urls")),
    path("certificates/", include("certificates.urls")),
    path("attendance/", include("attendance.urls")),
    path("", include("evidence.urls")),
    path("", include("bookings.urls")),
    path("register/<str:token>/", course_views.public_register_view, name="public_register"),
    path("enrol/<str:token>/", cohort_views.public_enrol_view, name="public_enrol"),
    path("enrolments/cancel/<str:token>/", cohort_views.enrolment_cancel_public_view, name="enrolment_cancel"),
    path("registrations/cancel/<str:token>/", course_views.registration_cancel_public_view, name="registration_cancel"),
    path("privacy/", course_views.privacy_view, name="privacy"),
    path("calendar/<str:token>.ics", course_views.calendar_feed_view, name="calendar_feed"),
]

handler500 = "cohortstudio.errors.server_error_view"

if settings.ZOOM_SIMULATOR:
    urlpatterns.append(path("zoomsim/", include("zoom_simulator.urls")))
