"""Admin for support staff: connections, removals and webhook events. No token is ever shown."""

from django.contrib import admin, messages

from . import services
from .models import WebhookEvent, ZoomAccessRemoval, ZoomConnection


@admin.register(ZoomConnection)
class ZoomConnectionAdmin(admin.ModelAdmin):
    list_display = ["organization", "zoom_email", "status", "connected_at", "expires_at", "last_webhook_at"]
    list_filter = ["status"]
    search_fields = ["organization__name", "zoom_email", "zoom_user_id", "zoom_account_id"]
    fields = [
        "organization",
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
        services.webhook_events_reprocess(event_ids=event_ids)
        self.message_user(request, f"{len(event_ids)} event(s) queued for processing.", messages.SUCCESS)
