from django.urls import path

from . import views

app_name = "evidence"

urlpatterns = [
    path("courses/<int:course_id>/evidence/", views.course_evidence_view, name="course_evidence"),
    path("courses/<int:course_id>/evidence/refresh/", views.course_outcomes_refresh_view, name="outcomes_refresh"),
    path("courses/<int:course_id>/evidence/audit.csv", views.course_audit_csv_view, name="audit_csv"),
    path("courses/<int:course_id>/evidence/audit.pdf", views.course_audit_pdf_view, name="audit_pdf"),
    path("settings/completion/", views.completion_defaults_view, name="completion_defaults"),
    path(
        "evidence/classes/<int:class_id>/poll-answers/assign/", views.poll_answer_assign_view, name="poll_answer_assign"
    ),
]
