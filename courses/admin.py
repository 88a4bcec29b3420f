from django.contrib import admin

from .models import CalendarFeed, ClassSession, Course, Registration


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("title", "organization", "certification", "attendance_threshold_percent", "created_at")
    list_filter = ("organization",)
    search_fields = ("title", "certification", "organization__name")


@admin.register(ClassSession)
class ClassSessionAdmin(admin.ModelAdmin):
    list_display = ("title", "course", "organization", "starts_at", "timezone", "delivery_mode", "capacity", "status")
    list_filter = ("delivery_mode", "status", "organization")
    search_fields = ("title", "course__title", "organization__name")
    date_hierarchy = "starts_at"
    raw_id_fields = ("course", "organization")
    exclude = ("public_token",)


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ("email", "first_name", "last_name", "class_session", "organization", "status", "created_at")
    list_filter = ("status", "organization")
    search_fields = ("email", "first_name", "last_name", "class_session__title")
    raw_id_fields = ("class_session", "organization", "student")
    exclude = ("cancel_token",)


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """Private feed URLs; the token is the credential, so it is never shown."""

    list_display = ("user", "organization", "kind", "created_at")
    list_filter = ("kind",)
    search_fields = ("user__email", "organization__name")
    raw_id_fields = ("user", "organization")
    exclude = ("token",)
