from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.portal_home_view, name="home"),
    path("login/", views.portal_login_view, name="login"),
    path(
        "registrations/<int:registration_id>/cancel/", views.portal_registration_cancel_view, name="registration_cancel"
    ),
]
