from django.urls import path

from zoom_simulator import api_views, control_views, oauth_views

app_name = "zoom_simulator"

WEBINAR = {"kind": "webinar"}

api_urlpatterns = [
    path("v2/users/<str:user_ref>", api_views.user_detail, name="api_user"),
    path("v2/users/<str:user_ref>/settings", api_views.user_settings, name="api_user_settings"),
    path("v2/users/<str:user_ref>/meetings", api_views.meeting_list_create, name="api_meetings"),
    path("v2/meetings/<str:meeting_ref>", api_views.meeting_detail, name="api_meeting"),
    path("v2/meetings/<str:meeting_ref>/registrants", api_views.registrant_list_create, name="api_registrants"),
    path(
        "v2/meetings/<str:meeting_ref>/registrants/status",
        api_views.registrant_status_update,
        name="api_registrant_status",
    ),
    path(
        "v2/meetings/<str:meeting_ref>/batch_registrants",
        api_views.registrant_batch_create,
        name="api_batch_registrants",
    ),
    path("v2/meetings/<str:meeting_ref>/polls", api_views.poll_list_create, name="api_polls"),
    path("v2/meetings/<str:meeting_ref>/polls/<str:poll_id>", api_views.poll_detail, name="api_poll"),
    # Instance uuids may contain "/" once decoded, hence the path converter.
    path("v2/meetings/<path:meeting_ref>/meeting_summary", api_views.meeting_summary, name="api_meeting_summary"),
    path("v2/meetings/<path:meeting_ref>/recordings", api_views.meeting_recordings, name="api_recordings"),
    path(
        "v2/past_meetings/<path:meeting_ref>/participants",
        api_views.past_meeting_participants,
        name="api_past_participants",
    ),
    path("v2/past_meetings/<path:meeting_ref>/polls", api_views.past_meeting_polls, name="api_past_polls"),
    # Webinars: the meeting views under Zoom's webinar paths (API-FACTS 9).
    path("v2/users/<str:user_ref>/webinars", api_views.meeting_list_create, WEBINAR, name="api_webinars"),
    path("v2/webinars/<str:meeting_ref>", api_views.meeting_detail, WEBINAR, name="api_webinar"),
    path(
        "v2/webinars/<str:meeting_ref>/registrants",
        api_views.registrant_list_create,
        WEBINAR,
        name="api_webinar_registrants",
    ),
    path(
        "v2/webinars/<str:meeting_ref>/registrants/status",
        api_views.registrant_status_update,
        WEBINAR,
        name="api_webinar_registrant_status",
    ),
    path(
        "v2/webinars/<str:meeting_ref>/batch_registrants",
        api_views.registrant_batch_create,
        WEBINAR,
        name="api_webinar_batch_registrants",
    ),
    path("v2/webinars/<str:meeting_ref>/polls", api_views.poll_list_create, WEBINAR, name="api_webinar_polls"),
    path("v2/webinars/<str:meeting_ref>/polls/<str:poll_id>", api_views.poll_detail, WEBINAR, name="api_webinar_poll"),
    path(
        "v2/past_webinars/<path:meeting_ref>/participants",
        api_views.past_meeting_participants,
        WEBINAR,
        name="api_past_webinar_participants",
    ),
    path(
        "v2/past_webinars/<path:meeting_ref>/polls",
        api_views.past_meeting_polls,
        WEBINAR,
        name="api_past_webinar_polls",
    ),
]

oauth_urlpatterns = [
    path("oauth/authorize", oauth_views.authorize, name="authorize"),
    path("oauth/token", oauth_views.token, name="token"),
    path("oauth/revoke", oauth_views.revoke, name="revoke"),
    path("marketplace/", oauth_views.marketplace, name="marketplace"),
    path("marketplace/installed/", oauth_views.installed_apps, name="installed_apps"),
    path("marketplace/installed/<int:grant_id>/remove/", oauth_views.installed_app_remove, name="installed_app_remove"),
]

control_urlpatterns = [
    path("control/", control_views.control_index, name="control_index"),
    path("control/users/<int:user_id>/", control_views.control_user_action, name="control_user_action"),
    path("control/faults/", control_views.control_faults, name="control_faults"),
    path("control/meetings/<int:meeting_id>/", control_views.control_meeting, name="control_meeting"),
    path(
        "control/meetings/<int:meeting_id>/action/",
        control_views.control_meeting_action,
        name="control_meeting_action",
    ),
    path("j/<int:meeting_id>", control_views.join_page, name="join"),
    path("w/<int:meeting_id>", control_views.join_page, name="registrant_join"),
    path("s/<int:meeting_id>", control_views.start_page, name="start"),
    path("meeting/register/<str:join_token>", control_views.registration_page, name="registration"),
    path("rec/play/<str:token>", control_views.recording_player, name="recording_play"),
    path("rec/share/<str:token>", control_views.recording_player, name="recording_share"),
    path("docs/<str:token>", control_views.summary_doc, name="summary_doc"),
]

urlpatterns = api_urlpatterns + oauth_urlpatterns + control_urlpatterns
