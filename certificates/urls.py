from django.urls import path

from . import views

app_name = "certificates"

urlpatterns = [
    path("verify/<str:code>/", views.certificate_verify_view, name="verify"),
    path("courses/<int:course_id>/", views.course_certificates_view, name="course_certificates"),
    path("<int:certificate_id>/pdf/", views.certificate_pdf_view, name="certificate_pdf"),
    path("<int:certificate_id>/revoke/", views.certificate_revoke_view, name="certificate_revoke"),
    path("<int:certificate_id>/reissue/", views.certificate_reissue_view, name="certificate_reissue"),
]
