from django.urls import path

from . import views

app_name = "attendance"

urlpatterns = [
    path("classes/<int:class_id>/", views.class_attendance_view, name="class_attendance"),
    path("classes/<int:class_id>/attendance.csv", views.class_attendance_csv_view, name="class_attendance_csv"),
    path("registrations/<int:registration_id>/mark/", views.registration_mark_view, name="registration_mark"),
    path("classes/<int:class_id>/participants/assign/", views.participant_assign_view, name="participant_assign"),
]
