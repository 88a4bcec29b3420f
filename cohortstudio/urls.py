from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from cohortstudio.health import healthz_view
from courses import cohort_views
from courses import views as course_views

urlpatterns = [
    # First: Zoom's webhook is the busiest path, and resolution stops at the first match.
    path("", include("zoom_integration.urls")),
    path("", course_views.home_view, name="home"),
    path("healthz", healthz_view, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("orgs.urls")),
    path("courses/", include("courses.urls")),
    path("portal/", include("courses.portal_urls")),
    path("attendance/", include("attendance.urls")),
    path("evidence/", include("evidence.urls")),
    path("register/<str:token>/", course_views.public_register_view, name="public_register"),
    path("enrol/<str:token>/", cohort_views.public_enrol_view, name="public_enrol"),
    path("enrolments/cancel/<str:token>/", cohort_views.enrolment_cancel_public_view, name="enrolment_cancel"),
    path("registrations/cancel/<str:token>/", course_views.registration_cancel_public_view, name="registration_cancel"),
    path("privacy/", course_views.privacy_view, name="privacy"),
    path("calendar/<str:token>.ics", course_views.calendar_feed_view, name="calendar_feed"),
]

if settings.ZOOM_SIMULATOR:
    urlpatterns.append(path("zoomsim/", include("zoom_simulator.urls")))
