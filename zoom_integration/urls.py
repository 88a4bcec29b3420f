from django.urls import path

from . import meeting_views, views

app_name = "zoom"

urlpatterns = [
    path("settings/zoom/", views.settings_view, name="settings"),
    path("settings/zoom/connect/", views.connect_view, name="connect"),
    path("settings/zoom/callback/", views.callback_view, name="callback"),
    path("settings/zoom/complete/", views.complete_view, name="complete"),
    path("settings/zoom/disconnect/", views.disconnect_view, name="disconnect"),
    path("settings/zoom/meeting-settings/", meeting_views.meeting_defaults_view, name="meeting_defaults"),
    path("zoom/webhook/", views.webhook_view, name="webhook"),
    path("courses/classes/<int:class_id>/zoom/", meeting_views.zoom_manage_view, name="manage"),
    path("courses/classes/<int:class_id>/zoom/create/", meeting_views.meeting_create_view, name="meeting_create"),
    path("courses/classes/<int:class_id>/zoom/start/", meeting_views.meeting_start_view, name="meeting_start"),
    path("courses/classes/<int:class_id>/zoom/changes/", meeting_views.meeting_changes_view, name="meeting_changes"),
    path("courses/classes/<int:class_id>/zoom/replace/", meeting_views.meeting_replace_view, name="meeting_replace"),
    path("courses/classes/<int:class_id>/zoom/sync/", meeting_views.registrants_sync_view, name="registrants_sync"),
]
