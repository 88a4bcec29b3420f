from django.urls import path

from . import cohort_views, views

app_name = "courses"

urlpatterns = [
    path("", views.course_list_view, name="course_list"),
    path("new/", views.course_create_view, name="course_create"),
    path("calendar/stakeholders/", views.stakeholder_feed_view, name="stakeholder_feed"),
    path("<int:course_id>/", views.course_detail_view, name="course_detail"),
    path("<int:course_id>/edit/", views.course_edit_view, name="course_edit"),
    path("<int:course_id>/delete/", views.course_delete_view, name="course_delete"),
    path("<int:course_id>/classes/new/", views.class_create_view, name="class_create"),
    path("classes/<int:class_id>/", views.class_detail_view, name="class_detail"),
    path("classes/<int:class_id>/edit/", views.class_edit_view, name="class_edit"),
    path("classes/<int:class_id>/cancel/", views.class_cancel_view, name="class_cancel"),
    path("classes/<int:class_id>/delete/", views.class_delete_view, name="class_delete"),
    path("classes/<int:class_id>/registrations/add/", views.registration_add_view, name="registration_add"),
    path("classes/<int:class_id>/registrations/bulk/", views.registrations_bulk_view, name="registrations_bulk"),
    path("registrations/<int:registration_id>/cancel/", views.registration_cancel_view, name="registration_cancel"),
    path(
        "registrations/<int:registration_id>/promote/",
        cohort_views.registration_promote_view,
        name="registration_promote",
    ),
    path("<int:course_id>/series/new/", cohort_views.class_series_create_view, name="series_create"),
    path("<int:course_id>/copy/", cohort_views.course_copy_view, name="course_copy"),
    path("<int:course_id>/roster/", cohort_views.course_roster_view, name="course_roster"),
    path("<int:course_id>/roster/add/", cohort_views.enrolment_add_view, name="enrolment_add"),
    path("<int:course_id>/roster/bulk/", cohort_views.enrolments_bulk_view, name="enrolments_bulk"),
    path("enrolments/<int:enrolment_id>/cancel/", cohort_views.enrolment_cancel_view, name="enrolment_cancel"),
    path("enrolments/<int:enrolment_id>/promote/", cohort_views.enrolment_promote_view, name="enrolment_promote"),
]
