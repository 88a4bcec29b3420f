from django.urls import path

from . import feature_views, meeting_views, views

app_name = "zoom"

urlpatterns = [
    path("zoom/webhook/", views.webhook_view, name="webhook"),
    path("settings/zoom/", views.settings_view, name="settings"),
    path("settings/zoom/connect/", views.connect_view, name="connect"),
    path("settings/zoom/callback/", views.callback_view, name="callback"),
    path("settings/zoom/complete/", views.complete_view, name="complete"),
    path("settings/zoom/disconnect/", views.disconnect_view, name="disconnect"),
    path("settings/zoom/mine/", views.mine_view, name="mine"),
    path("settings/zoom/mine/connect/", views.mine_connect_view, name="mine_connect"),
    path(
        "settings/zoom/connections/<int:connection_id>/disconnect/",
        views.connection_disconnect_view,
        name="connection_disconnect",
    ),
    path("settings/zoom/webinar-plan/", views.webinar_plan_check_view, name="webinar_plan_check"),
    path("settings/zoom/meeting-settings/", meeting_views.meeting_defaults_view, name="meeting_defaults"),
    path("courses/classes/<int:class_id>/zoom/", meeting_views.zoom_manage_view, name="manage"),
    path("courses/classes/<int:class_id>/zoom/create/", meeting_views.meeting_create_view, name="meeting_create"),
    path("courses/classes/<int:class_id>/zoom/start/", meeting_views.meeting_start_view, name="meeting_start"),
    path("courses/classes/<int:class_id>/zoom/changes/", meeting_views.meeting_changes_view, name="meeting_changes"),
    path("courses/classes/<int:class_id>/zoom/replace/", meeting_views.meeting_replace_view, name="meeting_replace"),
    path("courses/classes/<int:class_id>/zoom/sync/", meeting_views.registrants_sync_view, name="registrants_sync"),
]

# Polls, AI summary and cloud recordings on the Zoom management page.
_class_zoom = "courses/classes/<int:class_id>/zoom"
urlpatterns += [
    path(f"{_class_zoom}/polls/", feature_views.poll_create_view, name="poll_create"),
    path(f"{_class_zoom}/polls/<str:poll_id>/delete/", feature_views.poll_delete_view, name="poll_delete"),
    path(f"{_class_zoom}/summary/refresh/", feature_views.summary_refresh_view, name="summary_refresh"),
    path(f"{_class_zoom}/summary/<int:summary_id>/delete/", feature_views.summary_delete_view, name="summary_delete"),
    path(f"{_class_zoom}/recordings/refresh/", feature_views.recordings_refresh_view, name="recordings_refresh"),
    path(
        f"{_class_zoom}/recordings/<int:recording_id>/share/",
        feature_views.recording_share_view,
        name="recording_share",
    ),
    path(
        f"{_class_zoom}/recordings/<int:recording_id>/unshare/",
        feature_views.recording_unshare_view,
        name="recording_unshare",
    ),
]
