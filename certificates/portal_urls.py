from django.urls import path

from . import views

app_name = "portal_certificates"

urlpatterns = [
    path("<int:certificate_id>/pdf/", views.portal_certificate_pdf_view, name="certificate_pdf"),
]
