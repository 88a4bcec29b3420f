from django.contrib import admin

from .models import Certificate


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    """Read-only: certificates change through revoke and reissue only. The signature is not shown (nor any key)."""

    list_display = ["number", "organization", "student", "course", "status", "issued_at", "signing_key_id"]
    list_filter = ["status", "organization"]
    search_fields = ["number", "enrolment__email", "enrolment__last_name"]
    list_select_related = ["organization", "enrolment__course"]
    fields = [
        "number",
        "organization",
        "enrolment",
        "status",
        "issued_at",
        "facts",
        "signing_key_id",
        "revoked_at",
        "revoked_by",
        "revoked_reason",
        "replaces",
        "reissued_by",
        "reissue_reason",
        "superseded_at",
        "created_at",
    ]

    @admin.display(description="Student")
    def student(self, certificate):
        return certificate.enrolment.full_name

    @admin.display(description="Course")
    def course(self, certificate):
        return certificate.enrolment.course.title

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
