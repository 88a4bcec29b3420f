from django.contrib import admin

from .models import AttendanceOverride, AttendanceRecord, Participant, PresenceSignal


@admin.register(PresenceSignal)
class PresenceSignalAdmin(admin.ModelAdmin):
    list_display = (
        "occurred_at",
        "kind",
        "display_name",
        "email",
        "class_session",
        "source",
        "reconciled",
        "received_at",
    )
    list_filter = ("kind", "source", "reconciled")
    search_fields = ("display_name", "email", "external_id", "session_key", "participant_key", "class_session__title")
    list_select_related = ("class_session",)
    raw_id_fields = ("organization", "class_session", "registration")
    date_hierarchy = "occurred_at"

    def has_change_permission(self, request, obj=None):
        # Signals are facts as the meeting tool reported them.
        return False


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "email",
        "class_session",
        "registration",
        "match_method",
        "first_joined_at",
        "last_left_at",
        "seconds_present",
    )
    list_filter = ("match_method", "source", "reconciled")
    search_fields = ("display_name", "email", "participant_key", "registration__email", "class_session__title")
    list_select_related = ("class_session", "registration")
    raw_id_fields = ("organization", "class_session", "registration", "assigned_by")


@admin.register(AttendanceRecord)
class AttendanceRecordAdmin(admin.ModelAdmin):
    list_display = (
        "registration",
        "class_session",
        "first_joined_at",
        "last_left_at",
        "seconds_present",
        "reconciled",
        "updated_at",
    )
    list_filter = ("reconciled",)
    search_fields = (
        "registration__email",
        "registration__first_name",
        "registration__last_name",
        "class_session__title",
    )
    list_select_related = ("registration", "class_session")
    raw_id_fields = ("organization", "class_session", "registration")


@admin.register(AttendanceOverride)
class AttendanceOverrideAdmin(admin.ModelAdmin):
    list_display = ("registration", "class_session", "status", "reason", "set_by", "set_at")
    list_filter = ("status",)
    search_fields = (
        "registration__email",
        "registration__first_name",
        "registration__last_name",
        "reason",
        "set_by__email",
    )
    list_select_related = ("registration", "class_session", "set_by")
    raw_id_fields = ("organization", "class_session", "registration", "set_by")
