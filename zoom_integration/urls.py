from django.urls import path

from . import views

app_name = "zoom"

urlpatterns = [
    path("settings/zoom/", views.settings_view, name="settings"),
    path("settings/zoom/connect/", views.connect_view, name="connect"),
    path("settings/zoom/callback/", views.callback_view, name="callback"),
    path("settings/zoom/complete/", views.complete_view, name="complete"),
    path("settings/zoom/disconnect/", views.disconnect_view, name="disconnect"),
    path("zoom/webhook/", views.webhook_view, name="webhook"),
]
