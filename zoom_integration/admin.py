"""Admin for support staff: connections, removals and webhook events. No token is ever shown."""

from django.contrib import admin, messages

from . import jobs
from .models import (
    PendingZoomGrant,
    WebhookEvent,
    ZoomAccessRemoval,
    ZoomConnection,
    ZoomMeeting,
    ZoomMeetingDefaults,
    ZoomRecordingFile,
    ZoomRegistrant,
    ZoomSummary,
)


@admin.register(ZoomConnection)
class ZoomConnectionAdmin(admin.ModelAdmin):
    list_display = ["organization", "user", "zoom_email", "status", "connected_at", "expires_at", "last_webhook_at"]
    list_filter = ["status"]
    search_fields = ["organization__name", "zoom_email", "zoom_user_id", "zoom_account_id"]
    fields = [
        "organization",
        "user",
        "status",
        "zoom_email",
        "zoom_user_id",
        "zoom_account_id",
        "account_type",
        "scopes",
        "has_tokens",
        "expires_at",
        "refreshed_at",
        "connected_at",
        "connected_by",
        "status_changed_at",
        "last_webhook_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(boolean=True, description="Tokens stored")
    def has_tokens(self, connection):
        return connection.has_tokens


@admin.register(ZoomAccessRemoval)
class ZoomAccessRemovalAdmin(admin.ModelAdmin):
    list_display = ["organization", "reason", "zoom_email", "removed_at", "zoom_reported_at"]
    list_filter = ["reason"]
    readonly_fields = [field.name for field in ZoomAccessRemoval._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["id", "event_type", "state", "organization", "received_at", "event_ts", "attempts"]
    list_filter = ["state", "event_type"]
    search_fields = ["event_type", "dedup_key"]
    readonly_fields = [field.name for field in WebhookEvent._meta.fields]
    actions = ["reprocess"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Reprocess selected events")
    def reprocess(self, request, queryset):
        event_ids = list(queryset.values_list("pk", flat=True))
        jobs.webhook_events_reprocess(event_ids=event_ids)
        self.message_user(request, f"{len(event_ids)} event(s) queued for processing.", messages.SUCCESS)


@admin.register(ZoomMeeting)
class ZoomMeetingAdmin(admin.ModelAdmin):
    list_display = (
        "zoom_meeting_id",
        "class_session",
        "organization",
        "status",
        "sync_status",
        "registration_enabled",
        "updated_at",
    )
    list_filter = ("status", "sync_status")
    search_fields = ("zoom_meeting_id", "topic", "class_session__title", "organization__name")
    raw_id_fields = ("organization", "class_session")
    readonly_fields = ("zoom_uuid", "host_id", "created_at", "updated_at")


@admin.register(ZoomRegistrant)
class ZoomRegistrantAdmin(admin.ModelAdmin):
    list_display = ("registration", "meeting", "status", "registrant_id", "synced_at", "link_emailed_at")
    list_filter = ("status",)
    search_fields = ("registration__email", "registrant_id", "meeting__zoom_meeting_id")
    raw_id_fields = ("organization", "meeting", "registration")


@admin.register(ZoomMeetingDefaults)
class ZoomMeetingDefaultsAdmin(admin.ModelAdmin):
    list_display = ("organization", "waiting_room", "join_before_host", "auto_recording_cloud", "updated_at")
    search_fields = ("organization__name",)


@admin.register(ZoomSummary)
class ZoomSummaryAdmin(admin.ModelAdmin):
    list_display = ("meeting", "organization", "meeting_uuid", "deleted_at")
    search_fields = ("meeting__zoom_meeting_id", "meeting_uuid", "organization__name")
    raw_id_fields = ("organization", "meeting")


@admin.register(ZoomRecordingFile)
class ZoomRecordingFileAdmin(admin.ModelAdmin):
    list_display = ("meeting", "file_type", "recording_type", "status", "shared", "deleted_on_zoom")
    list_filter = ("shared", "deleted_on_zoom", "file_type")
    search_fields = ("meeting__zoom_meeting_id", "file_id")
    raw_id_fields = ("organization", "meeting")
    exclude = ("passcode_encrypted",)


@admin.register(PendingZoomGrant)
class PendingZoomGrantAdmin(admin.ModelAdmin):
    """Marketplace installs waiting for sign-in; their tokens are never shown."""

    list_display = ("zoom_email", "zoom_user_id", "created_at", "hold_until")
    search_fields = ("zoom_email", "zoom_user_id")
    exclude = ("access_token_encrypted", "refresh_token_encrypted", "session_binding")
